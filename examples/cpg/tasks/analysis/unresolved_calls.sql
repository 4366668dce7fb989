-- @tags cpg, analysis
-- @description Call sites the type checker did not resolve inside the code base, by callee as written:
-- `external` when it found the declaration outside (the runtime's lib, @types, a package: console.log,
-- items.map), `unknown` when it found none (a call through `any`, a missing name). How many sites, in
-- how many files, and the first one.
select callee_name,
       case when external then 'external' else 'unknown' end as target,
       count(*) as sites,
       count(distinct path) as files,
       arg_min(path || ':' || start_line, path || lpad(start_line::VARCHAR, 9, '0')) as first_site
from code.calls
where not resolved
group by all
