-- @output cpg_edges
-- @tags cpg, edges
-- @description Structure: file → top-level declaration, declaration → nested declaration.
select container as src, id as dst, 'contains' as kind, kind as detail, path, start_line as line
from norm.symbols
