-- @output cpg_nodes
-- @tags cpg, nodes
-- @description One node per source file.
select 'file:' || path as id, 'file' as kind, path as name, path, 1 as start_line, lines as end_line
from code.files
