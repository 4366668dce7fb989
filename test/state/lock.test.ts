import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, LockedError, LOCK_FILE } from '../../src/state/lock.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject;
afterEach(() => p?.cleanup());

/** A pid that surely belongs to no process: a child that already exited (and was reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('state lock', () => {
  it('is exclusive, names the holder, and is released', () => {
    p = tempProject();
    const state = path.join(p.dir, 'state');
    const lock = acquireLock(state, 'daemon');
    expect(readFileSync(path.join(state, LOCK_FILE), 'utf8')).toBe(`${process.pid} daemon\n`);
    expect(() => acquireLock(state, 'run')).toThrow(LockedError);
    // The file itself says who holds it: this process, as the daemon.
    expect(() => acquireLock(state, 'run')).toThrow(`relspec daemon (pid ${process.pid}) is running on ${state}`);
    lock.release();
    expect(existsSync(path.join(state, LOCK_FILE))).toBe(false);
    acquireLock(state, 'run').release();
  });

  it('refuses while a live process holds it, with the exact message', async () => {
    p = tempProject();
    const state = path.join(p.dir, 'state');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      p.write(`state/${LOCK_FILE}`, `${child.pid} daemon\n`);
      expect(() => acquireLock(state, 'daemon')).toThrow(
        `relspec daemon (pid ${child.pid}) is running on ${state}; stop it or use 'relspec status'`,
      );
      writeFileSync(path.join(state, LOCK_FILE), `${child.pid} run\n`);
      expect(() => acquireLock(state, 'daemon')).toThrow(`relspec run (pid ${child.pid}) is running on ${state}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over a stale lock (dead pid) and a garbage one', () => {
    p = tempProject();
    const state = path.join(p.dir, 'state');
    p.write(`state/${LOCK_FILE}`, `${deadPid()} daemon\n`);
    const lock = acquireLock(state, 'daemon');
    expect(readFileSync(path.join(state, LOCK_FILE), 'utf8')).toBe(`${process.pid} daemon\n`);
    lock.release();
    p.write(`state/${LOCK_FILE}`, 'garbage');
    const old = new Date(Date.now() - 10_000);
    utimesSync(path.join(state, LOCK_FILE), old, old);
    acquireLock(state, 'run').release();
  });

  it('takes over a lock naming its own pid when the file predates this process (pid recycled after a crash)', () => {
    p = tempProject();
    const state = path.join(p.dir, 'state');
    p.write(`state/${LOCK_FILE}`, `${process.pid} daemon\n`);
    const beforeStart = new Date(Date.now() - process.uptime() * 1000 - 60_000);
    utimesSync(path.join(state, LOCK_FILE), beforeStart, beforeStart);
    const lock = acquireLock(state, 'run');
    expect(readFileSync(path.join(state, LOCK_FILE), 'utf8')).toBe(`${process.pid} run\n`);
    expect(() => acquireLock(state, 'daemon')).toThrow(`relspec run (pid ${process.pid}) is running on ${state}`);
    lock.release();
  });
});
