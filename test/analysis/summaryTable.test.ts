import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryRows } from '../../src/analysis/resultsFrame.js';
import { formatMeanInterval, summaryTableRows } from '../../src/analysis/summaryTable.js';
import { writeSweepReport } from '../../src/analysis/sweepReport.js';
import type { SweepResultRow } from '../../src/analysis/sweepResults.js';
import { runSweep } from '../../src/analysis/sweepRunner.js';
import { synthesizedPreset } from '../helpers/models.js';

/** scipy.stats.t.ppf(0.975, 1): the 95 % two-sided t quantile with one degree of freedom. */
const T975_DF1 = 12.706204736174698;

const out = mkdtempSync(join(tmpdir(), 'summary-table-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('summaries of a sweep count per-batch measurements once per batch', () => {
  let rows: SweepResultRow[];
  beforeAll(async () => {
    // 2 prompts x 3 seeds in batches of 3: two decoder batches, each timing copied onto 3 samples.
    const result = await runSweep(
      { name: 'batches', models: [{ name: 'tiny', path: synthesizedPreset('tiny') }], prompts: ['soft piano', 'fast drums'], seeds: [1, 2, 3], duration: 0.2, strategy: 'peak' },
      { outDir: out, maxBatch: 3, threads: 1 },
    );
    rows = result.rows;
  }, 120_000);

  it('speed and memory: n is the number of batches, the CI comes from the batch values', () => {
    const batches = new Map(rows.map((r) => [r.batchIndex, r]));
    expect(batches.size).toBe(2);
    const [s] = summaryRows(rows, { groupBy: ['model'], metrics: ['stepsPerSecond', 'peakRssMb', 'entropyBits'] });
    expect(s.n).toBe(6);
    expect(s.stepsPerSecond_batches).toBe(2);
    const [a, b] = [...batches.values()].map((r) => r.stepsPerSecond);
    expect(s.stepsPerSecond_mean).toBeCloseTo((a + b) / 2, 9);
    // Two values: sd = |a - b| / sqrt(2), half-width t * sd / sqrt(2) = t |a - b| / 2.
    expect(s.stepsPerSecond_ci95).toBeCloseTo((T975_DF1 * Math.abs(a - b)) / 2, 6);
    // A per-sample metric still counts every sample (and gets no _batches column).
    expect(s.entropyBits_batches).toBeUndefined();
  });

  it('a table never shows a CI for a value measured once per batch', () => {
    const table = summaryTableRows(rows, { groupBy: ['promptId', 'seed'], metrics: ['stepsPerSecond', 'realTimeFactor', 'peakRssMb', 'entropyBits'] });
    expect(table).toHaveLength(6);
    for (const r of table) {
      for (const label of ['decode steps/s', 'real-time factor (s per s of audio)', 'peak memory (MB RSS)']) {
        expect(r[label]).toMatch(/^[\d.]+ \(one measurement\)$/);
      }
    }
    // Grouped by whole batches, the per-batch values have one measurement per group, whatever n.
    const byBatchGroup = summaryRows(rows, { groupBy: ['promptId'], metrics: ['stepsPerSecond'] });
    for (const g of byBatchGroup) {
      const members = rows.filter((r) => r.promptId === g.promptId);
      const distinctBatches = new Set(members.map((r) => r.batchIndex)).size;
      expect(g.stepsPerSecond_batches).toBe(distinctBatches);
      if (distinctBatches === 1) expect(g.stepsPerSecond_ci95).toBeNull();
    }
    // Nowhere a CI narrower than rounding noise (the old tables showed 3.267e-14).
    for (const g of summaryRows(rows, { groupBy: ['model'] })) {
      for (const [k, v] of Object.entries(g)) if (k.endsWith('_ci95') && v !== null) expect(v as number, k).toBeGreaterThan(1e-9);
    }
  });

  it('report.html formats mean ± CI to the precision of the CI and says "one measurement"', async () => {
    const html = readFileSync(await writeSweepReport(out, rows), 'utf8');
    const summary = /<table class="summary">[\s\S]*?<\/table>/.exec(html)![0];
    expect(summary).not.toMatch(/\de-\d/);
    expect(summary).toMatch(/\(2 batches\)|\(one measurement\)/);
  });

  it('formats an interval to two significant digits and the mean to the same place', () => {
    expect(formatMeanInterval(200.31234, 8.647)).toBe('200.3 ± 8.6');
    expect(formatMeanInterval(0.51234, 0.03141)).toBe('0.512 ± 0.031');
    expect(formatMeanInterval(1234.5, 123.4)).toBe('1235 ± 123');
    expect(formatMeanInterval(5.5, null)).toBe('5.5');
  });
});
