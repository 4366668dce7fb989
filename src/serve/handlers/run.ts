import { printOutcome, taskPrinter } from '../../cli/commands/run.js';
import type { Out } from '../../cli/out.js';
import type { DaemonAccess } from '../daemonAccess.js';
import type { Request } from '../protocol.js';

/**
 * `relspec run` / `plan` through the daemon: queued on its single-flight run loop (a second writer
 * would be refused the warehouse anyway), printing exactly what the CLI prints, to the socket.
 */
export async function handleRun(req: Extract<Request, { type: 'run' | 'plan' }>, d: DaemonAccess, out: Out): Promise<number> {
  const dryRun = req.type === 'plan';
  const { outcome, loaded } = await d.run({ select: req.select, fullRefresh: req.fullRefresh, dryRun, onTask: taskPrinter(req, out) });
  return printOutcome(outcome, req, loaded, dryRun, out);
}
