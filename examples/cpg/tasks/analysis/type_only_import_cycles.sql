-- @tags cpg, analysis
-- @description Import cycles that exist only through type-only imports: the strongly connected
-- components of the whole import graph (type-only edges included) that are not components of the
-- runtime graph (analysis.import_cycles) — harmless at runtime, but still entangling the files for
-- the type checker and for readers. `type_only_edges`: the type-only imports inside the component
-- (`importer → imported`), the edges to cut or to keep type-only.
with recursive
deps as (
  select path as src, resolved_path as dst, bool_and(type_only) as type_only
  from code.imports
  where resolved_path is not null
  group by all
),
reach(src, dst) as (
  select src, dst from deps
  union
  select r.src, d.dst from reach r join deps d on d.src = r.dst
),
runtime_reach(src, dst) as (
  select src, dst from deps where not type_only
  union
  select r.src, d.dst from runtime_reach r join deps d on d.src = r.dst and not d.type_only
),
components as (
  select distinct list(a.dst order by a.dst) as component
  from reach a join reach b on b.src = a.dst and b.dst = a.src
  group by a.src
),
runtime_components as (
  select distinct list(a.dst order by a.dst) as component
  from runtime_reach a join runtime_reach b on b.src = a.dst and b.dst = a.src
  group by a.src
)
select c.component[1] as cycle,
       len(c.component) as files,
       c.component as members,
       (select list(d.src || ' → ' || d.dst order by d.src, d.dst)
        from deps d
        where d.type_only and list_contains(c.component, d.src) and list_contains(c.component, d.dst)) as type_only_edges
from components c
where c.component not in (select component from runtime_components)
