-- @tags marts
select customer_id, sum(amount) as revenue, count(*) as orders
from staging.orders
group by all
