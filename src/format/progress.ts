import type { ProgressEvent } from '../records/types.js';
import { seconds } from './runs.js';

/** Where progress goes: a terminal gets one status line rewritten in place; anything else a line every few seconds. */
export interface ProgressSink {
  write(s: string): void;
  isTTY: boolean;
}

const ERASE = '\r\x1b[K';

/**
 * "What runs now, and for how long" during `relspec run`. On a terminal the last line is a status
 * line (`▸ 3 of 12 orders_by_day 4.20s`, `▸ extracting code: 812 / 2400 files`), redrawn as time
 * passes and erased before each printed line; without one, a plain line every `intervalMs` while a
 * step lasts, so a CI log shows a long build is alive. Code extraction runs synchronously (no timer
 * fires), so each file event checks the clock itself.
 */
export class ProgressReporter {
  private current?: { kind: ProgressEvent['kind']; since: number; text: (ms: number) => string };
  /** When the last plain line (no terminal) or status redraw (terminal) went out. */
  private lastLine = 0;
  private lastDraw = 0;
  private shown = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly sink: ProgressSink,
    private readonly opts: { intervalMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? performance.now();
  }

  private get interval(): number {
    return this.opts.intervalMs ?? 5000;
  }

  event(e: ProgressEvent): void {
    const t = this.now();
    if (e.kind === 'task_started') {
      this.current = { kind: e.kind, since: t, text: (ms) => `${e.index} of ${e.total} ${e.task} ${seconds(ms)}` };
      this.lastLine = t;
    } else {
      const same = this.current?.kind === 'code_extract';
      if (!same) this.lastLine = t;
      const since = same ? this.current!.since : t;
      this.current = { kind: e.kind, since, text: (ms) => `extracting code (${e.source}): ${e.done} / ${e.total} files, ${seconds(ms)}` };
    }
    this.tick();
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.sink.isTTY ? 200 : Math.min(this.interval, 1000));
      this.timer.unref();
    }
  }

  /** Before a line of the run's own output: the status line steps aside, and the task that printed is done. */
  clear(): void {
    this.erase();
    this.current = undefined;
  }

  private tick(): void {
    if (!this.current) return;
    const t = this.now();
    if (this.sink.isTTY) {
      // Extraction reports every file: redraw at most ten times a second.
      if (t - this.lastDraw < 100 && this.shown) return;
      this.sink.write(`${ERASE}▸ ${this.current.text(t - this.current.since)}`);
      this.shown = true;
      this.lastDraw = t;
    } else if (t - this.lastLine >= this.interval) {
      this.sink.write(`… ${this.current.text(t - this.current.since)}\n`);
      this.lastLine = t;
    }
  }

  private erase(): void {
    if (this.shown) this.sink.write(ERASE);
    this.shown = false;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
    this.current = undefined;
  }
}
