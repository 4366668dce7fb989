-- @output cpg_edges
-- @tags cpg, edges
-- @description Uses: scope → referenced symbol, one edge per resolved reference (reads, writes,
-- types, imports, re-exports); the role is the detail. Calls are their own edges, and so are
-- imports of a whole file (a module specifier, `import * as ns`, `export * as ns`): the imports edges.
select scope as src, symbol as dst, 'references' as kind, role as detail, path, start_line as line
from norm.occurrences
where resolved and not (role in ('import', 'export') and symbol like '%#module')
