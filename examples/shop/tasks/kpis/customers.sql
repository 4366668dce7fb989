-- @output kpis
select 'customers' as kpi, count(*)::DOUBLE as value from customers
