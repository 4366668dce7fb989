-- @output cpg_nodes
-- @tags cpg, nodes
-- @description One node per declared symbol (functions, classes, methods, types, variables...).
select id, kind, qualified_name as name, path, start_line, end_line
from code.symbols
