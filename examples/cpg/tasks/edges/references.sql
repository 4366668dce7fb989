-- @output cpg_edges
-- @tags cpg, edges
-- @description Uses: scope → referenced symbol, one edge per resolved reference (reads, writes,
-- types, imports, re-exports); the role is the detail. Calls are their own edges.
select scope as src, symbol as dst, 'references' as kind, role as detail, path, start_line as line
from norm.occurrences
where resolved
