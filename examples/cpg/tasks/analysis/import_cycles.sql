-- @tags cpg, analysis
-- @description Files entangled in import cycles at runtime: groups of files that (transitively)
-- import each other — the strongly connected components of the graph of runtime imports with more
-- than one file, or a file importing itself. Type-only imports (`import type`, `export type … from`,
-- bindings used as types only: code.imports.type_only) are erased from the emitted JavaScript, so
-- they close no cycle here; analysis.type_only_import_cycles lists the cycles they close. The
-- recursive CTE computes reachability (UNION dedupes, so it ends).
with recursive
deps as (
  select distinct path as src, resolved_path as dst
  from code.imports
  where resolved_path is not null and not type_only
),
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
select component[1] as cycle, len(component) as files, component as members
from cyclic
group by all
