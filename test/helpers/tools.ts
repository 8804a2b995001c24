import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const found = new Map<string, boolean>();

function onPath(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

/**
 * Whether an external tool (ffmpeg, /usr/bin/chromium, /usr/bin/python3 ...) is available.
 * Locally a missing tool makes the caller skip, with the reason printed once; under CI=true a
 * missing tool is an error, because CI installs everything the suite needs.
 */
export function haveTool(cmd: string, why: string): boolean {
  let ok = found.get(cmd);
  if (ok === undefined) {
    ok = onPath(cmd);
    found.set(cmd, ok);
    if (!ok) {
      if (process.env.CI === 'true') {
        throw new Error(`${cmd} is required in CI (${why}) but is not installed; .ci/run must install it`);
      }
      process.stdout.write(`[skip] ${cmd} not found: skipping tests that need it (${why})\n`);
    }
  }
  return ok;
}
