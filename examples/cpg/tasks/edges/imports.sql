-- @output cpg_edges
-- @tags cpg, edges
-- @description Dependencies: file → file for every import, re-export or require that resolves
-- inside the code base (one edge per specifier).
select distinct path || '#module' as src, resolved_path || '#module' as dst, 'imports' as kind,
       module as detail, path, null::INTEGER as line
from code.imports
where resolved_path is not null
