-- @tags cpg, analysis
-- @description Call sites whose target the type checker could not find (globals, dynamic calls).
select callee_name, count(*) as sites, min(path || ':' || start_line) as first_site
from code.calls
where not resolved
group by callee_name
order by sites desc, callee_name
