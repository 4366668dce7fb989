-- @tags cpg, analysis
-- @description Exported symbols that no other file references, imports or calls.
select s.id, s.kind, s.qualified_name, s.path, s.start_line
from code.symbols s
where s.exported and s.parent_id is null
  and not exists (
    select 1 from cpg_edges e
    where e.dst = s.id and e.kind in ('references', 'calls') and e.path <> s.path
  )
order by s.path, s.start_line
