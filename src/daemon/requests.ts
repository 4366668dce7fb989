import { RelspecError } from '../errors.js';

/**
 * Runs asked for over the socket (`relspec run`, `relspec plan`), waiting for the daemon's
 * single-flight loop: it takes them after the pass in progress, one at a time, never beside a run.
 */
export class RunRequests {
  private readonly waiting: { start(): Promise<void>; cancel(e: Error): void }[] = [];

  get size(): number {
    return this.waiting.length;
  }

  /** Queues `job`; resolves or rejects with it once the loop ran it (or the daemon stopped first). */
  add<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ start: () => job().then(resolve, reject), cancel: reject });
    });
  }

  /** Called by the loop: runs the waiting jobs in order until none is left or `stop()` says so. */
  async drain(stop: () => boolean): Promise<void> {
    while (this.waiting.length > 0 && !stop()) await this.waiting.shift()!.start();
  }

  cancelAll(): void {
    const e = new RelspecError('E_STATE', 'the daemon stopped before running it', { fix: 'run again' });
    for (const w of this.waiting.splice(0)) w.cancel(e);
  }
}
