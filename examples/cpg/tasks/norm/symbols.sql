-- @tags cpg, norm
-- @description Declared symbols (module pseudo-symbols excluded: a file is its own node), with the
-- file node they belong to and whether calls can be attributed to them.
select id, kind, name, qualified_name, path,
       path || '#module' as file_node,
       coalesce(parent_id, path || '#module') as container,
       exported,
       kind in ('function', 'method', 'constructor', 'getter', 'setter') as callable,
       start_line, start_col, end_line, end_col
from code.symbols
where kind <> 'module'
