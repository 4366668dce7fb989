import { openStateReader } from '../../state/reader.js';
import { UiEvents } from './events.js';

const POLL_MS = 1000;

/**
 * `relspec ui` has no run loop to hear from: it reads the state database once a second and turns a
 * new or finished run (a `relspec run` in another terminal) into run events, so the page refreshes.
 * Task events need the daemon.
 */
export function pollRuns(stateDir: string): { events: UiEvents; stop(): void } {
  const events = new UiEvents();
  let seen = '';
  const tick = () => {
    let run;
    try {
      const reader = openStateReader(stateDir);
      try {
        run = reader.store.run(reader.store.lastRunId() ?? 0);
      } finally {
        reader.close();
      }
    } catch {
      return; // no state yet, or a run holds it mid-write: next tick
    }
    if (!run) return;
    const key = `${run.id}:${run.status}`;
    if (key === seen) return;
    const first = seen === '';
    seen = key;
    if (first) return; // what was there at start is what the page loads
    if (run.status === 'running') events.runStarted(run.trigger);
    else {
      const durationMs = run.endedAt ? Date.parse(run.endedAt) - Date.parse(run.startedAt) : 0;
      events.runFinished({ runId: run.id, status: run.status, durationMs, summary: run.summary ?? {} }, run.trigger);
    }
  };
  tick();
  const timer = setInterval(tick, POLL_MS);
  timer.unref();
  return { events, stop: () => clearInterval(timer) };
}
