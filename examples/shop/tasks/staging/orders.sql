-- @materialize view
-- @tags staging
-- @description Orders with their line amount.
select o.order_id, o.customer_id, o.product_id, o.units, o.ordered_at, o.units * p.price as amount
from orders o
join products p using (product_id)
