-- @tags marts
-- @priority 50
with revenue as (
  select p.category, o.product_id, sum(o.amount) as revenue
  from staging.orders o join products p using (product_id)
  group by all
), ranked as (
  select *, row_number() over (partition by category order by revenue desc, product_id) as rank from revenue
)
select category, product_id, revenue, rank from ranked where rank <= 3
