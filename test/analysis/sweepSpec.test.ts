import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchCapacity, kvCacheBytesPerItem, splitIntoBatches } from '../../src/analysis/batchPlanner.js';
import { SweepSpecError } from '../../src/analysis/errors.js';
import { expandSweep, loadSweepSpec, parseSweepSpec } from '../../src/analysis/sweepSpec.js';
import { parseModelConfig } from '../../src/model/modelConfig.js';
import { presetConfig } from '../../src/convert/presets.js';

const base = { models: ['/m/small'], prompts: ['lofi piano'], duration: 1 };

describe('sweep spec', () => {
  it('fills defaults and expands the grid in a fixed order with file-safe ids', () => {
    const spec = parseSweepSpec({ ...base, models: ['/m/small', { name: 'big', path: '/m/large', dtype: 'q8' }], topK: [50, 250], cfgCoef: [1, 3], seeds: [0, 1] });
    expect(spec.temperature).toEqual([1]);
    expect(spec.strategy).toBe('loudness');
    expect(spec.models[0]).toEqual({ name: 'small', path: '/m/small', dtype: 'fp32' });
    const grid = expandSweep(spec);
    expect(grid).toHaveLength(2 * 2 * 2 * 2);
    expect(new Set(grid.map((s) => s.sampleId)).size).toBe(grid.length);
    expect(grid[0].sampleId).toBe('small__p0__k50_p0_t1_cfg1_s0');
    expect(grid.every((s) => /^[A-Za-z0-9_.-]+$/.test(s.sampleId))).toBe(true);
  });

  it.each([
    [{ ...base, topK: [50, -5] }, /spec\.topK\[1\] must be an integer >= 0 .*\(got -5\)/],
    [{ ...base, topP: [1.5] }, /spec\.topP\[0\] must be a number in \[0, 1\]/],
    [{ ...base, temperature: 'hot' }, /spec\.temperature must be a non-empty list/],
    [{ ...base, cfgCoef: [3, 3] }, /spec\.cfgCoef lists a value twice/],
    [{ ...base, models: [] }, /spec\.models must be a non-empty list/],
    [{ ...base, models: [{ path: '/a', name: 'x' }, { path: '/b', name: 'x' }] }, /two models are named "x"/],
    [{ ...base, prompts: [{ text: 'a', melodyFile: 'm.wav' }] }, /spec\.prompts\[0\]\.melodyFile is not a prompt field/],
    [{ ...base, prompts: [''] }, /spec\.prompts\[0\]\.text must be a description/],
    [{ ...base, duration: 0 }, /spec\.duration must be a number of seconds/],
    [{ ...base, top_k: [5] }, /spec\.top_k is not a sweep field \(camelCase: topK\?\)/],
    [{ ...base, strategy: 'loud' }, /spec\.strategy must be one of/],
    [{ ...base, name: 'a/b' }, /spec\.name/],
    [{ ...base, models: [{ repo: 'facebook/musicgen-small', path: 'models/small' }] }, /spec\.models\[0\] gives both path and repo/],
    [{ ...base, models: [{ repo: '../etc/passwd' }] }, /spec\.models\[0\]\.repo must be a hub model id owner\/name/],
    [{ ...base, models: [{ path: '/m', revision: 'main' }] }, /spec\.models\[0\]\.revision goes with repo/],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseSweepSpec(input)).toThrow(SweepSpecError);
    expect(() => parseSweepSpec(input)).toThrow(message);
  });

  it('a model named by hub id: revision main by default, name from the id, no folder; a resolved spec parses again unchanged', () => {
    const spec = parseSweepSpec({ ...base, models: [{ repo: 'facebook/musicgen-small', dtype: 'q8' }, { repo: 'facebook/musicgen-medium', revision: 'refs/pr/1', name: 'med' }] });
    expect(spec.models).toEqual([
      { name: 'musicgen-small', path: '', dtype: 'q8', repo: 'facebook/musicgen-small', revision: 'main' },
      { name: 'med', path: '', dtype: 'fp32', repo: 'facebook/musicgen-medium', revision: 'refs/pr/1' },
    ]);
    expect(parseSweepSpec(spec).models).toEqual(spec.models);
  });

  it('a spec file resolves model and melody paths against its folder; bad JSON names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-spec-'));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...base, models: ['models/tiny'], prompts: [{ text: 'x', melody: 'm.wav' }] }));
    const spec = loadSweepSpec(join(dir, 'spec.json'));
    expect(spec.models[0].path).toBe(join(dir, 'models/tiny'));
    expect(spec.prompts[0].melody).toBe(join(dir, 'm.wav'));
    writeFileSync(join(dir, 'bad.json'), '{"models": [');
    expect(() => loadSweepSpec(join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
    // A resolved spec parses to itself.
    expect(parseSweepSpec(spec)).toEqual(spec);
  });
});

describe('batch planning', () => {
  it('splits into ceil(n / capacity) batches of near-equal size', () => {
    expect(splitIntoBatches([1, 2, 3, 4, 5, 6, 7, 8], 3).map((b) => b.length)).toEqual([3, 3, 2]);
    expect(splitIntoBatches([1, 2, 3, 4, 5, 6, 7, 8], 8)).toHaveLength(1);
    expect(splitIntoBatches([1, 2, 3, 4, 5], 1)).toHaveLength(5);
    expect(splitIntoBatches([], 4)).toEqual([]);
  });

  it('capacity follows the K/V-cache estimate: CFG doubles it, a bigger model fits fewer items', () => {
    const small = parseModelConfig(presetConfig('small', 0));
    const large = parseModelConfig(presetConfig('large', 0));
    const est = { duration: 10, cfg: true };
    expect(kvCacheBytesPerItem(small, est)).toBeGreaterThan(1.9 * kvCacheBytesPerItem(small, { ...est, cfg: false }));
    const budget = 8 * kvCacheBytesPerItem(small, est);
    expect(batchCapacity(small, est, { memoryBudgetBytes: budget, maxBatch: 64 })).toBe(8);
    expect(batchCapacity(large, est, { memoryBudgetBytes: budget, maxBatch: 64 })).toBeLessThan(8);
    expect(batchCapacity(small, est, { memoryBudgetBytes: budget, maxBatch: 3 })).toBe(3);
    expect(batchCapacity(large, est, { memoryBudgetBytes: 1 })).toBe(1);
  });
});
