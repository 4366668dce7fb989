-- @output cpg_edges
-- @tags cpg, edges
-- @description caller → callee for every resolved call site.
select caller as src, callee as dst, 'calls' as kind, path, start_line as line
from code.calls
where resolved
