-- @tags cpg, norm
-- @description Every reference that is not a call, with its scope: the innermost declaration whose
-- span contains it (parameters and type parameters are not scopes), else the file. Spans are
-- normalized to one integer per position (line * 10^6 + column), so containment is two comparisons
-- and the innermost scope is the one that starts last (ties: the shorter one, then the id).
with refs as (
  select symbol, name, path, role, resolved, start_line, start_col, end_line, end_col,
         start_line::BIGINT * 1000000 + start_col as s0, end_line::BIGINT * 1000000 + end_col as e0
  from code."references"
  where role <> 'call'
),
scopes as (
  select id, path, start_line::BIGINT * 1000000 + start_col as s0, end_line::BIGINT * 1000000 + end_col as e0
  from norm.symbols
  where kind not in ('parameter', 'type_parameter')
),
scoped as (
  select r.path, r.s0, r.e0, max({'s': s.s0, 'e': -s.e0, 'i': s.id}).i as scope
  from (select distinct path, s0, e0 from refs) r
  join scopes s on s.path = r.path and s.s0 <= r.s0 and s.e0 >= r.e0
  group by all
)
select coalesce(sc.scope, r.path || '#module') as scope, r.symbol, r.name, r.role, r.resolved, r.path,
       r.start_line, r.start_col, r.end_line, r.end_col
from refs r left join scoped sc using (path, s0, e0)
