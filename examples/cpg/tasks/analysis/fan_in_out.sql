-- @tags cpg, analysis
-- @description Fan-in (distinct callers) and fan-out (distinct callees) per function or method.
with c as (select distinct src, dst from cpg_edges where kind = 'calls')
select n.id, n.name, n.path,
       (select count(*) from c where c.dst = n.id) as fan_in,
       (select count(*) from c where c.src = n.id) as fan_out
from cpg_nodes n
where n.kind in ('function', 'method')
order by fan_in desc, fan_out desc, n.id
