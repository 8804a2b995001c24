import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from './helpers/processes.js';

const child = join(import.meta.dirname, 'endWithParentChild.ts');

/** Starts parent and child, SIGKILLs the parent, and says how long the child outlived it. */
async function killParent(channel: 'ipc' | 'no-ipc', graceMs: number): Promise<{ output: string; childPid: number; endedAfterMs: number }> {
  const parent = spawn(process.execPath, ['--import', 'tsx', child, 'parent', channel, String(graceMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  parent.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /child (\d+) watching/.exec(output))) {
    if (Date.now() > deadline) throw new Error(`child did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const childPid = Number(m[1]);
  parent.kill('SIGKILL');
  const killedAt = Date.now();
  while (alive(childPid) && Date.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 20));
  const endedAfterMs = Date.now() - killedAt;
  if (alive(childPid)) process.kill(childPid, 'SIGKILL');
  return { output, childPid, endedAfterMs };
}

describe.runIf(process.platform === 'linux')('endWithParent: a child ends when its parent is SIGKILLed', () => {
  it('through the IPC channel: SIGTERM first (its handlers run), then the exit after the grace', async () => {
    const r = await killParent('ipc', 600);
    expect(r.output).toContain('watching (ipc)');
    expect(r.output).toContain('child got SIGTERM');
    // The child ignores SIGTERM's usual exit, so only the grace timer ends it.
    expect(r.endedAfterMs).toBeGreaterThanOrEqual(500);
    expect(r.endedAfterMs).toBeLessThan(5000);
  }, 90_000);

  it('without a channel, through the changed parent pid; grace 0 exits at once, no SIGTERM', async () => {
    const r = await killParent('no-ipc', 0);
    expect(r.output).toContain('watching (no ipc)');
    expect(r.output).not.toContain('child got SIGTERM');
    expect(r.endedAfterMs).toBeLessThan(3000);
  }, 90_000);
});
