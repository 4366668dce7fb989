import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DeliveryCounts, RunEvent } from './types.js';

export interface DeliveryOptions {
  url?: string;
  file?: string;
  /** Events waiting for HTTP beyond this are dropped, oldest first (and counted). */
  maxQueue?: number;
  /** First retry after this; doubled each attempt. */
  backoffMs?: number;
  maxAttempts?: number;
  /** One POST's limit. */
  timeoutMs?: number;
  onError?: (message: string) => void;
}

/**
 * Where events go: appended to a JSON-lines file at once, and POSTed to an HTTP endpoint from a bounded
 * queue by one sender loop. Nothing here throws into the run: a failure is counted and reported to onError.
 */
export class Delivery {
  readonly counts: DeliveryCounts = { sent: 0, failed: 0, dropped: 0, retries: 0 };
  private readonly queue: RunEvent[] = [];
  /** The event being POSTed (off the queue: overflow never drops what is already on the wire). */
  private inFlight = false;
  private sending: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly opts: DeliveryOptions) {}

  emit(e: RunEvent): void {
    if (this.opts.file) this.writeFile(e);
    if (!this.opts.url) return;
    this.queue.push(e);
    const max = this.opts.maxQueue ?? 1000;
    while (this.queue.length > max) {
      this.queue.shift();
      this.counts.dropped++;
    }
    this.sending ??= this.sendAll().finally(() => (this.sending = undefined));
  }

  /** Waits for the queue to drain, at most `deadlineMs`; what is left then is dropped and counted. */
  async flush(deadlineMs: number): Promise<DeliveryCounts> {
    if (this.sending) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([this.sending, deadline]);
      clearTimeout(timer);
    }
    this.closed = true;
    // What is left (queued, and one still on the wire) counts as dropped now: the counts are final here.
    const left = this.queue.length + (this.inFlight ? 1 : 0);
    if (left > 0) {
      this.counts.dropped += left;
      const last = this.counts.lastError;
      this.fail(`${left} events not delivered within ${deadlineMs} ms${last ? ` (last: ${last})` : ''}`);
      this.queue.length = 0;
    }
    return { ...this.counts };
  }

  private writeFile(e: RunEvent): void {
    try {
      mkdirSync(path.dirname(this.opts.file!), { recursive: true });
      appendFileSync(this.opts.file!, JSON.stringify(e) + '\n');
      this.counts.sent++;
    } catch (err) {
      this.counts.failed++;
      this.fail(`writing ${this.opts.file}: ${(err as Error).message}`);
    }
  }

  private async sendAll(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const e = this.queue.shift()!;
      this.inFlight = true;
      const ok = await this.sendOne(e);
      this.inFlight = false;
      // flush() may have given up meanwhile: the event is counted there, as dropped.
      if (this.closed) return;
      if (ok) this.counts.sent++;
      else this.counts.failed++;
    }
  }

  private async sendOne(e: RunEvent): Promise<boolean> {
    const attempts = this.opts.maxAttempts ?? 4;
    let wait = this.opts.backoffMs ?? 100;
    for (let i = 1; ; i++) {
      const problem = await this.post(e);
      if (problem === undefined) return true;
      if (i >= attempts || this.closed) {
        this.fail(`POST ${this.opts.url}: ${problem} (after ${i} attempts)`);
        return false;
      }
      this.counts.retries++;
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
  }

  /** undefined when delivered; else what went wrong. */
  private async post(e: RunEvent): Promise<string | undefined> {
    try {
      const res = await fetch(this.opts.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(e),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
      await res.arrayBuffer();
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return cause ?? (err as Error).message;
    }
  }

  private fail(message: string): void {
    this.counts.lastError = message;
    this.opts.onError?.(message);
  }
}
