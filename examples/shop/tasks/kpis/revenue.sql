-- @output kpis
select 'revenue' as kpi, sum(revenue)::DOUBLE as value from marts.daily_revenue
