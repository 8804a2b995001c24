import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDist, haveNbclient, ROOT } from './notebookRun.js';

const tmp = mkdtempSync(join(tmpdir(), 'musicgen-nb-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface CellRun {
  status: string;
  stdout: string;
  stderr: string;
}

interface InterruptRun extends CellRun {
  /** [done steps, total steps, (sweep) finished samples] when the interrupt was sent, 2 s and 4 s after. */
  before: number[];
  at2s: number[];
  at4s: number[];
  cell_seconds: number;
  next: CellRun;
  resume?: CellRun;
}

/** test/notebooks/kernelInterrupt.py: the tslab kernel driven by jupyter_client, interrupted mid-cell. */
function interruptKernel(mode: 'generate' | 'sweep' | 'late'): InterruptRun {
  const work = join(tmp, mode);
  const env: NodeJS.ProcessEnv = { ...process.env, MUSICGEN_CACHE_DIR: join(tmp, 'cache') };
  delete env.MUSICGEN_MODEL;
  const r = spawnSync('/usr/bin/python3', [join(ROOT, 'test', 'notebooks', 'kernelInterrupt.py'), ROOT, work, mode], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`kernelInterrupt.py ${mode} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as InterruptRun;
}

describe.skipIf(!haveNbclient())('Kernel > Interrupt (jupyter_client interrupt_kernel on the tslab kernel)', () => {
  it('stops a long generate within a decoder step, says where, and the next cell runs', () => {
    ensureDist();
    const run = interruptKernel('generate');
    const [stepAtInterrupt, total] = run.before;
    expect(total).toBe(6018); // 120 s: four extendStride windows
    // The decoder stopped: the step counter does not move between 2 s and 4 s after the interrupt,
    // a few steps after where it was (one step of the tiny model is milliseconds).
    expect(run.at4s).toEqual(run.at2s);
    expect(run.at2s[0]).toBeGreaterThanOrEqual(stepAtInterrupt);
    expect(run.at2s[0]).toBeLessThan(total);
    // The cell failed with one line naming the step where it stopped, no stack, nothing else.
    expect(run.status).toBe('error');
    expect(run.stderr.trim()).toBe(`AbortError: generation interrupted at step ${run.at2s[0]} of ${total}`);
    expect(run.stdout).not.toContain('generate returned');
    expect(run.cell_seconds).toBeLessThan(2);
    expect(run.next).toEqual({ status: 'ok', stdout: 'next cell ran: 6 * 7 = 42\n', stderr: '' });
  }, 600_000);

  it('stops a sweep between samples or steps, keeps the finished samples, and the same cell resumes', () => {
    ensureDist();
    const run = interruptKernel('sweep');
    const [, total, samplesBefore] = run.before;
    expect(run.at4s).toEqual(run.at2s);
    expect(run.at2s[0]).toBeLessThan(total);
    expect(run.status).toBe('error');
    const kept = run.at2s[2];
    expect(kept).toBeGreaterThanOrEqual(samplesBefore);
    expect(run.stderr.trim()).toMatch(new RegExp(`^AbortError: sweep interrupted: ${kept} of 5 samples are finished and kept in \\S+; run the same sweep again to resume$`));
    expect(run.next.status).toBe('ok');
    expect(run.resume).toEqual({ status: 'ok', stdout: `sweep returned: ${kept} skipped, ${5 - kept} generated\n`, stderr: '' });
  }, 600_000);

  it('a generate that an interrupted cell starts afterwards stops at once instead of running unseen', () => {
    ensureDist();
    const run = interruptKernel('late') as unknown as { status: string; stderr: string; steps: number[] | null; next: CellRun };
    // Nothing of ours was running: tslab's own interrupt ended the cell while it waited...
    expect(run.status).toBe('error');
    expect(run.stderr).toContain('Interrupted asynchronously');
    // ...and the generate that the rest of the cell started 3 s later never made a step.
    expect(run.steps).toBeNull();
    expect(run.next).toEqual({ status: 'ok', stdout: 'next cell ran: 6 * 7 = 42\n', stderr: '' });
  }, 600_000);
});
