-- @output cpg_edges
-- @tags cpg, edges
-- @description file → referenced symbol, one edge per resolved reference (calls are separate).
select distinct 'file:' || r.path as src, r.symbol as dst, 'references' as kind, r.path, r.start_line as line
from code."references" r
where r.resolved and r.role <> 'call'
