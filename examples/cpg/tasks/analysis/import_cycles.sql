-- @tags cpg, analysis
-- @description Files that can reach themselves through imports, with one shortest cycle each.
with recursive walk(start, here, trail, depth) as (
  select src, dst, [src, dst], 1 from cpg_edges where kind = 'imports'
  union all
  select w.start, e.dst, list_append(w.trail, e.dst), w.depth + 1
  from walk w join cpg_edges e on e.kind = 'imports' and e.src = w.here
  where w.here <> w.start and not list_contains(w.trail[2:], e.dst) and w.depth < 12
)
select replace(start, 'file:', '') as file, min(depth) as length,
       arg_min(array_to_string(list_transform(trail, x -> replace(x, 'file:', '')), ' → '), depth) as cycle
from walk
where here = start
group by start
order by length, file
