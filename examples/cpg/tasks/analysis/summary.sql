-- @tags cpg, analysis
-- @priority 200
-- @description The CPG in numbers: files, symbols, nodes, edges per kind, and what the analyses found
-- (`#` orders the lines; `relspec show analysis.summary` prints them).
with edge_kinds as (select 'edges.' || kind as metric, count(*) as value from cpg_edges group by kind)
select 1 as "#", 'files' as metric, count(*) as value from code.files
union all select 2, 'symbols', count(*) from norm.symbols
union all select 3, 'nodes', count(*) from cpg_nodes
union all select 4, 'edges', count(*) from cpg_edges
union all select 4 + row_number() over (order by metric), metric, value from edge_kinds
union all select 10, 'calls into libraries', coalesce(sum(sites) filter (where target = 'external'), 0) from analysis.unresolved_calls
union all select 11, 'calls with no declaration found', coalesce(sum(sites) filter (where target = 'unknown'), 0) from analysis.unresolved_calls
union all select 12, 'unused exports', count(*) filter (where not public_api) from analysis.unused_exports
union all select 13, 'files in import cycles', coalesce(sum(files), 0) from analysis.import_cycles
union all select 14, 'public API exports unused inside', count(*) filter (where public_api) from analysis.unused_exports
union all select 15, 'files in type-only import cycles', coalesce(sum(files), 0) from analysis.type_only_import_cycles
