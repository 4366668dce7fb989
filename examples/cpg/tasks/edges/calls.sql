-- @output cpg_edges
-- @tags cpg, edges
-- @description Calls: caller → callee for every call site the type checker resolved in the code base.
select caller as src, callee as dst, 'calls' as kind, callee_name as detail, path, start_line as line
from code.calls
where resolved
