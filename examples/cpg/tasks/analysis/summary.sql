-- @tags cpg, analysis
-- @priority 200
-- @description What the CPG holds, by node and edge kind.
select 'node' as what, kind, count(*) as n from cpg_nodes group by kind
union all
select 'edge' as what, kind, count(*) as n from cpg_edges group by kind
order by what desc, kind
