import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveNbclient, readNotebook, runNotebooks, stdoutText, type RunResult } from './notebookRun.js';

const tmp = mkdtempSync(join(tmpdir(), 'musicgen-nb-runner-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function notebook(cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe.skipIf(!haveNbclient())('scripts/run-notebooks on broken notebooks', () => {
  let run: RunResult;
  const out = join(tmp, 'executed');

  beforeAll(() => {
    const dir = join(tmp, 'notebooks');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'a-fine.ipynb'), notebook(["const answer: number = 6 * 7;\nconsole.log(`answer ${answer}`);"]));
    writeFileSync(
      join(dir, 'b-broken.ipynb'),
      notebook(["console.log('first cell ran');", "const bpm: number = 'one hundred and twenty';", "console.log('third cell ran');"]),
    );
    writeFileSync(join(dir, 'c-throws.ipynb'), notebook(["const sr: number = 32000;\nif (sr > 0) throw new RangeError(`no model at ${sr} Hz`);"]));
    run = runNotebooks(['--no-build', '--out', out, dir], join(tmp, 'cache'));
  }, 300_000);

  it('fails, naming the notebook and cell, and prints the type error from the cell stderr', () => {
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('PASS a-fine.ipynb');
    expect(run.stdout).toMatch(/FAIL b-broken\.ipynb \([\d.]+ s\) at cell 2/);
    expect(run.stdout).toContain("const bpm: number = 'one hundred and twenty';");
    expect(run.stdout).toContain("Type 'string' is not assignable to type 'number'.");
    expect(run.stdout.trimEnd().split('\n').pop()).toBe('1 passed, 2 failed');
  });

  it('prints a runtime exception of a cell the same way', () => {
    expect(run.stdout).toMatch(/FAIL c-throws\.ipynb \([\d.]+ s\) at cell 1/);
    expect(run.stdout).toContain('RangeError: no model at 32000 Hz');
  });

  it('writes executed copies, stopping the broken one at its failing cell', () => {
    expect(stdoutText(readNotebook(join(out, 'a-fine.ipynb')))).toBe('answer 42\n');
    const broken = readNotebook(join(out, 'b-broken.ipynb'));
    expect(stdoutText(broken)).toBe('first cell ran\n');
    expect(broken.cells[2].outputs).toEqual([]); // not run after the failure
    // nbconvert is optional: with it, an HTML export sits next to each executed copy.
    const html = existsSync(join(out, 'a-fine.html'));
    expect(html || run.stdout.includes('no HTML export')).toBe(true);
  });
});
