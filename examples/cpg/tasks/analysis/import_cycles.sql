-- @tags cpg, analysis
-- @description Files entangled in import cycles: groups of files that (transitively) import each
-- other — the strongly connected components of the import graph with more than one file,
-- or a file importing itself. The recursive CTE computes reachability (UNION dedupes, so it ends).
with recursive
deps as (select distinct src, dst from cpg_edges where kind = 'imports'),
reach(src, dst) as (
  select src, dst from deps
  union
  select r.src, d.dst from reach r join deps d on d.src = r.dst
),
cyclic as (
  select a.src as file, list(a.dst order by a.dst) as component
  from reach a join reach b on b.src = a.dst and b.dst = a.src
  group by a.src
)
select replace(component[1], '#module', '') as cycle,
       len(component) as files,
       list_transform(component, x -> replace(x, '#module', '')) as members
from cyclic
group by all
