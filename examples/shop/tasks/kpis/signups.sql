-- @output kpis
-- The newest signup date: reads only `signup`, so edits to names never rebuild it.
select 'last_signup_day' as kpi, max(signup - DATE '2024-01-01')::DOUBLE as value from customers
