-- @output cpg_edges
-- @tags cpg, edges
-- @description file → exported symbol: what a module offers to others.
select 'file:' || path as src, id as dst, 'defines' as kind, path, start_line as line
from code.symbols
where exported
