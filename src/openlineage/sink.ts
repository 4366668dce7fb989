import { Delivery } from './delivery.js';
import type { DeliveryCounts } from './types.js';

/**
 * The daemon's delivery, kept across runs: a run hands its events over and returns at once (a one-shot
 * run instead waits up to 2 s for its own Delivery). The queue keeps sending between runs; each run
 * persists what changed since the last one, so an event still retrying when a run ends is counted by a
 * later run. A config edit of `url` or `file` starts a new Delivery (the old one finishes its queue).
 */
export class LineageSink {
  private current: { key: string; delivery: Delivery; taken: DeliveryCounts } | undefined;

  constructor(private readonly onError?: (message: string) => void) {}

  delivery(target: { url?: string; file?: string }): Delivery {
    const key = JSON.stringify([target.url ?? null, target.file ?? null]);
    if (this.current?.key !== key) {
      this.current = { key, delivery: new Delivery({ ...target, onError: this.onError }), taken: zero() };
    }
    return this.current.delivery;
  }

  /** Counts since the previous call: what the state has not summed yet. */
  takeNew(): DeliveryCounts {
    if (!this.current) return zero();
    const now = { ...this.current.delivery.counts };
    const was = this.current.taken;
    this.current.taken = now;
    return {
      sent: now.sent - was.sent,
      failed: now.failed - was.failed,
      dropped: now.dropped - was.dropped,
      retries: now.retries - was.retries,
      ...(now.lastError !== was.lastError && now.lastError ? { lastError: now.lastError } : {}),
    };
  }
}

const zero = (): DeliveryCounts => ({ sent: 0, failed: 0, dropped: 0, retries: 0 });
