import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheBusyError } from './errors.js';
import { processAlive } from '../processAlive.js';

export interface LockOptions {
  /** Give up waiting for another process after this long (default 30 min: a big download). */
  timeoutMs?: number;
  pollMs?: number;
}

function holderPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}


/**
 * Takes an exclusive lock file (created with O_EXCL, holding our pid) so two processes never
 * write the same `.incomplete` file or swap the same folder. A lock whose process is gone is
 * taken over; a live holder is waited for, up to a bound. Returns the release function.
 */
export async function acquireCacheLock(path: string, what: string, opts: LockOptions = {}): Promise<() => void> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const pollMs = opts.pollMs ?? 250;
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / pollMs) + 10;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = holderPid(path);
    if (pid === null) {
      // Created but not written yet by its holder: look again after a pause.
      await sleep(pollMs);
      pid = holderPid(path);
    }
    if (pid === null || !processAlive(pid)) {
      // The holder crashed: take the lock over.
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) break;
    await sleep(pollMs);
  }
  throw new CacheBusyError(
    `another process (pid ${holderPid(path) ?? '?'}) has been fetching ${what} for over ${Math.round(timeoutMs / 1000)} s; wait for it, or stop it and run again (lock: ${path})`,
  );
}
