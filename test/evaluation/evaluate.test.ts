import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meanWithInterval } from '../../src/stats/meanInterval.js';
import { writeAudio } from '../../src/audio/write.js';
import { runEncode } from '../../src/cli/encode.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { CrossEntropyScorer } from '../../src/evaluation/crossEntropyScorer.js';
import { readSegment } from '../../src/evaluation/tokenCache.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';
import { synthesizedPreset } from '../helpers/models.js';
import { haveTool } from '../helpers/tools.js';

const work = mkdtempSync(join(tmpdir(), 'mg-eval-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface JsonItem {
  model: string;
  id: string;
  frames: number;
  text: string | null;
  crossEntropy: number[];
  perplexity: number[];
  ce: number;
  ppl: number;
}

/** Runs the real command in its own process; stdout parsed as the --json object. */
function runCli(args: string[]): Promise<{ items: JsonItem[]; summary: Array<{ model: string; items: number; ce: { mean: number; low: number; high: number }; ppl: { mean: number } }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cliChild.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

const sr = 32000;
function tone(freqs: number[], seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sr) }, (_, i) => freqs.reduce((a, f) => a + (0.3 / freqs.length) * Math.sin((2 * Math.PI * f * i) / sr), 0));
}

let data: string;
let tokens: string;
let modelA: string;
let modelB: string;

beforeAll(async () => {
  modelA = synthesizedPreset('tiny', 0);
  modelB = synthesizedPreset('tiny', 1);
  data = join(work, 'data');
  mkdirSync(join(data, 'jazz'), { recursive: true });
  await writeAudio(join(data, 'jazz', 'a.wav'), [tone([220, 330], 1.5)], sr, { strategy: 'none' });
  writeFileSync(join(data, 'jazz', 'a.json'), JSON.stringify({ description: '  smooth jazz with piano  ', genre: 'jazz', bpm: 90 }));
  await writeAudio(join(data, 'b.wav'), [tone([440], 0.8)], sr, { strategy: 'none' });
  writeFileSync(join(data, 'b.json'), JSON.stringify({ title: 'no description here', genre: 'rock' }));
  await writeAudio(join(data, 'c.wav'), [tone([523, 659, 784], 1)], sr, { strategy: 'none' });
  tokens = join(work, 'tokens');
  await runEncode(data, { model: modelA, out: tokens, segment: 1, minSegment: 0.5, quiet: true, threads: 1 });
}, 120_000);

describe('musicgen evaluate', () => {
  it('--tokens --json through the command: per item ce_q1..ce_qK, ce = their mean, ppl = exp; text from the description', async () => {
    const out = join(work, 'out');
    const r = await runCli(['evaluate', '--model', `${modelA},${modelB}`, '--tokens', tokens, '--json', '--out', out, '--threads', '1', '--quiet']);
    // jazz/a is 1.5 s: two 1 s segments (the 0.5 s remainder is kept at --min-segment 0.5).
    const ids = ['b.000', 'c.000', 'jazz/a.000', 'jazz/a.001'];
    expect(r.items.map((i) => [i.model, i.id])).toEqual([...ids.map((id) => ['tiny-0', id]), ...ids.map((id) => ['tiny-1', id])]);
    for (const it of r.items) {
      expect(it.crossEntropy).toHaveLength(4);
      expect(it.ce).toBeCloseTo(it.crossEntropy.reduce((a, b) => a + b, 0) / 4, 12);
      expect(it.ppl).toBeCloseTo(Math.exp(it.ce), 9);
      it.perplexity.forEach((p, k) => expect(p).toBeCloseTo(Math.exp(it.crossEntropy[k]), 9));
    }
    // The text is the description, trimmed; no description means the null condition.
    expect(r.items.filter((i) => i.model === 'tiny-0').map((i) => i.text)).toEqual([null, null, 'smooth jazz with piano', 'smooth jazz with piano']);
    const scorer = await CrossEntropyScorer.load(modelB, { threads: 1 });
    try {
      const jazz = readSegment(tokens, 'jazz/a.000');
      const b = readSegment(tokens, 'b.000');
      const [withText, nullText, bNull] = await scorer.crossEntropy([
        { codes: jazz.codes, text: 'smooth jazz with piano' },
        { codes: jazz.codes, text: null },
        { codes: b.codes, text: null },
      ]);
      const item = (id: string): JsonItem => r.items.find((i) => i.model === 'tiny-1' && i.id === id)!;
      expect(item('jazz/a.000').ce).toBeCloseTo(withText.ce, 10);
      expect(item('b.000').ce).toBeCloseTo(bNull.ce, 10);
      expect(Math.abs(withText.ce - nullText.ce)).toBeGreaterThan(1e-6);
      // Aggregates: mean over items with the t-based interval.
      const ces = r.items.filter((i) => i.model === 'tiny-1').map((i) => i.ce);
      const s = r.summary.find((x) => x.model === 'tiny-1')!;
      const m = meanWithInterval(ces);
      expect(s.items).toBe(4);
      expect(s.ce.mean).toBeCloseTo(m.mean, 12);
      expect(s.ce.low).toBeCloseTo(m.low, 12);
      expect(s.ppl.mean).toBeCloseTo(Math.exp(m.mean), 9);
      const csv = readFileSync(join(out, 'results.csv'), 'utf8').split('\n');
      expect(csv[0]).toBe('model,id,frames,text,ce,ppl,ce_q1,ce_q2,ce_q3,ce_q4,ppl_q1,ppl_q2,ppl_q3,ppl_q4,audio_seconds,decoder_ms');
      expect(csv).toHaveLength(10); // header, 8 rows, final newline
      const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(json.items).toEqual(JSON.parse(JSON.stringify(r.items)));
    } finally {
      await scorer.dispose();
    }
  }, 120_000);

  it('--unconditional scores every item under the null condition; --data encodes on the fly with the same result', async () => {
    const fromTokens = await runEvaluate({ model: modelA, tokens, unconditional: true, json: false, quiet: true, threads: 1 });
    expect(fromTokens.rows.every((r) => r.text === null)).toBe(true);
    const withText = await runEvaluate({ model: modelA, tokens, quiet: true, threads: 1 });
    const ce = (rows: typeof withText.rows, id: string): number => rows.find((r) => r.id === id)!.ce;
    expect(ce(fromTokens.rows, 'b.000')).toBeCloseTo(ce(withText.rows, 'b.000'), 12);
    expect(Math.abs(ce(fromTokens.rows, 'jazz/a.000') - ce(withText.rows, 'jazz/a.000'))).toBeGreaterThan(1e-6);
    const fromData = await runEvaluate({ model: modelA, data, segment: 1, minSegment: 0.5, quiet: true, threads: 1 });
    expect(fromData.rows.map((r) => r.id)).toEqual(withText.rows.map((r) => r.id));
    fromData.rows.forEach((r, i) => expect(r.ce).toBeCloseTo(withText.rows[i].ce, 10));
  }, 120_000);

  it('melody models are conditioned on the chroma of each segment\'s own audio, read back from the cache\'s source', async () => {
    const melody = synthesizedPreset('melody-tiny');
    const cache = join(work, 'tokens-melody');
    await runEncode(data, { model: melody, out: cache, segment: 1, minSegment: 0.5, quiet: true, threads: 1 });
    const r = await runEvaluate({ model: melody, tokens: cache, quiet: true, threads: 1 });
    const seg = readSegment(cache, 'c.000');
    const scorer = await CrossEntropyScorer.load(melody, { threads: 1 });
    try {
      const [own, none] = await scorer.crossEntropy([
        { codes: seg.codes, melody: { channels: [tone([523, 659, 784], 1)], sampleRate: sr } },
        { codes: seg.codes },
      ]);
      const got = r.rows.find((x) => x.id === 'c.000')!.ce;
      expect(got).toBeCloseTo(own.ce, 6);
      expect(Math.abs(got - none.ce)).toBeGreaterThan(1e-6);
    } finally {
      await scorer.dispose();
    }
  }, 120_000);

  it('refuses tokens made for another codebook layout, naming both', async () => {
    await expect(runEvaluate({ model: synthesizedPreset('stereo-tiny'), tokens, quiet: true, threads: 1 })).rejects.toThrow(/cached with 4 codebooks of 2048 .* takes 8 of 2048/);
    await expect(runEvaluate({ model: modelA, quiet: true })).rejects.toThrow(/exactly one of --data/);
  });
});

describe.skipIf(!haveTool(CHROMIUM, 'the evaluation report is checked in a real browser'))('evaluation report.html in headless chromium', () => {
  it('draws the perplexity figures and lists every model and segment', async () => {
    const out = join(work, 'report');
    await runEvaluate({ model: `${modelA},${modelB}`, tokens, out, quiet: true, threads: 1 });
    const userDataDir = mkdtempSync(join(tmpdir(), 'eval-report-chromium-'));
    const browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
      // Perplexity per model, per codebook, and against model size (two models of known size).
      const figures = await page.locator('.plotly-figure').count();
      expect(figures).toBe(3);
      await expect
        .poll(() => page.evaluate(`[...document.querySelectorAll('.plotly-figure')].filter((d) => d.querySelector('.main-svg')).length`), { timeout: 60_000 })
        .toBe(figures);
      // Two bars with error bars in the first figure.
      expect(await page.locator('#figure-0 .bars .point').count()).toBe(2);
      expect(await page.locator('#figure-0 .errorbar').count()).toBe(2);
      expect(await page.locator('table.summary tbody tr').count()).toBe(2);
      expect(await page.locator('table.items tbody tr').count()).toBe(8);
      expect(await page.locator('table.summary').innerText()).toContain('tiny-1');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
