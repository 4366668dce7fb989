-- @materialize delta
-- @tags cpg, nodes
-- @description The CPG's nodes: one per file (id `<path>#module`, the same id calls from module
-- level use) and one per declared symbol. A Delta table: each rebuild commits only the
-- rows that changed, so other tools can follow its change feed.
select path || '#module' as id, 'file' as kind, path as name, path, 1 as start_line, lines as end_line, false as exported
from code.files
union all
select id, kind, qualified_name as name, path, start_line, end_line, exported
from norm.symbols
