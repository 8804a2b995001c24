import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { compareSpec, numberList, register as registerCompare } from '../../src/cli/compare.js';
import { parseSweepSpec } from '../../src/analysis/sweepSpec.js';
import type { SweepResultRow } from '../../src/analysis/sweepResults.js';
import { synthesizedPreset } from '../helpers/models.js';

describe('musicgen compare', () => {
  it('turns --models/--cfg/--seeds/--prompt into a sweep spec', () => {
    const spec = compareSpec({ models: 'small=/m/s,/m/medium/', cfg: '1,3,5', prompt: ['a', 'b'], seeds: '4', duration: '2', topK: '50,250', out: 'x' });
    const resolved = parseSweepSpec(spec);
    expect(resolved.models.map((m) => [m.name, m.path])).toEqual([['small', '/m/s'], ['medium', '/m/medium/']]);
    expect(resolved.cfgCoef).toEqual([1, 3, 5]);
    expect(resolved.seeds).toEqual([4]);
    expect(resolved.topK).toEqual([50, 250]);
    expect(resolved.duration).toBe(2);
    expect(resolved.prompts.map((p) => p.text)).toEqual(['a', 'b']);
    expect(() => numberList('--cfg', '1,,3')).toThrow(/--cfg must be comma-separated numbers/);
    expect(() => compareSpec({ models: '/m', prompt: [], out: 'x' })).toThrow(/--prompt/);
  });

  it('runs a model x CFG study end to end (two names for the tiny model, CFG 1 and 3)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'compare-cli-')), 'out');
    const tiny = synthesizedPreset('tiny');
    const program = new Command().exitOverride();
    registerCompare(program);
    await program.parseAsync([
      'node', 'musicgen', 'compare', '--models', `a=${tiny},b=${tiny}`, '--cfg', '1,3', '--seeds', '5', '--prompt', 'dub techno',
      '--duration', '0.3', '--out', out, '--no-report', '--quiet', '--threads', '1',
    ]);
    const rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResultRow[];
    expect(rows.map((r) => [r.model, r.cfgCoef])).toEqual([['a', 1], ['a', 3], ['b', 1], ['b', 3]]);
    // Same model folder and seed under two names: identical tokens, so identical entropy.
    expect(rows[0].entropyBits).toBe(rows[2].entropyBits);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
  });
});
