-- @output cpg_edges
-- @tags cpg, edges
-- @description Interface: file → each symbol it exports.
select file_node as src, id as dst, 'defines' as kind, null::VARCHAR as detail, path, start_line as line
from norm.symbols
where exported
