-- @output cpg_edges
-- @tags cpg, edges
-- @description file → top-level symbol, and symbol → nested symbol.
select 'file:' || path as src, id as dst, 'contains' as kind, path, start_line as line
from code.symbols where parent_id is null
union all
select parent_id as src, id as dst, 'contains' as kind, path, start_line as line
from code.symbols where parent_id is not null
