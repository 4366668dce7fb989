-- @tags marts
select c.country, sum(r.revenue) as revenue, sum(r.orders) as orders
from marts.revenue_by_customer r
join customers c using (customer_id)
group by all
order by revenue desc
