-- @output cpg_edges
-- @tags cpg, edges
-- @description file → file for every import that resolves inside the code base.
select distinct 'file:' || path as src, 'file:' || resolved_path as dst, 'imports' as kind, path, null::INTEGER as line
from code.imports
where resolved_path is not null
