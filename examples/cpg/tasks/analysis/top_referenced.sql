-- @tags cpg, analysis
-- @description The 25 most referenced symbols (references and calls from anywhere).
select n.id, n.kind, n.name, n.path, count(*) as uses, count(distinct e.path) as files
from cpg_edges e join cpg_nodes n on n.id = e.dst
where e.kind in ('references', 'calls')
group by all
order by uses desc, n.id
limit 25
