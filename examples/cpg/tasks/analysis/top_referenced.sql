-- @tags cpg, analysis
-- @description The 25 most used symbols: resolved references and calls from anywhere, and from how many files.
select n.id, n.kind, n.name, n.path, count(*) as uses, count(distinct e.path) as files
from cpg_edges e join cpg_nodes n on n.id = e.dst
where e.kind in ('references', 'calls') and n.kind <> 'parameter'
group by all
order by uses desc, n.id
limit 25
