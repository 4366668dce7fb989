-- @tags marts
select date_trunc('day', ordered_at) as day, sum(amount) as revenue
from staging.orders
group by all
