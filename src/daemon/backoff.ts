/**
 * Retry with exponential backoff (1 s, 2 s, 4 s … capped at 30 s): the daemon's answer to a state
 * fault (a full disk, a locked or failing store), which no file event may ever announce the end of.
 * At most one retry is pending; a success resets the delay.
 */
export class Backoff {
  private failures = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  /** Failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Counts a failure and schedules `fn` after the next delay (unless a retry is pending); returns the delay. */
  fail(fn: () => void): number {
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 20));
    this.failures++;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        fn();
      }, delay);
    }
    return delay;
  }

  succeed(): void {
    this.failures = 0;
    this.cancel();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
