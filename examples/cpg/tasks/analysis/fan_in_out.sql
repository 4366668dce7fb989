-- @tags cpg, analysis
-- @description Fan-in (distinct callers) and fan-out (distinct callees in the code base) per function,
-- method, constructor and accessor.
with c as (select distinct src, dst from cpg_edges where kind = 'calls'),
fan_in as (select dst as id, count(*) as fan_in from c group by dst),
fan_out as (select src as id, count(*) as fan_out from c group by src)
select n.id, n.kind, n.name, n.path, n.start_line,
       coalesce(fan_in.fan_in, 0) as fan_in, coalesce(fan_out.fan_out, 0) as fan_out
from cpg_nodes n
left join fan_in using (id)
left join fan_out using (id)
where n.kind in ('function', 'method', 'constructor', 'getter', 'setter')
