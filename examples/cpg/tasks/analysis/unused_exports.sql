-- @tags cpg, analysis
-- @description Exported top-level symbols that no other file references, imports, re-exports or calls.
select s.id, s.kind, s.qualified_name, s.path, s.start_line
from norm.symbols s
where s.exported and s.container = s.file_node
  and not exists (
    select 1 from cpg_edges e
    where e.dst = s.id and e.kind in ('references', 'calls') and e.path <> s.path
  )
