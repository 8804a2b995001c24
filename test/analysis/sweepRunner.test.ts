import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClapScoreMetric, FrechetAudioDistanceMetric, type TextAudioEmbedder } from '../../src/analysis/metrics/embeddingMetrics.js';
import { groupEmbeddingMetric } from '../../src/analysis/metrics/groupEmbeddingMetric.js';
import { resultsDataFrame, summaryRows } from '../../src/analysis/resultsFrame.js';
import { readSampleSidecar, sampleSidecarPath } from '../../src/analysis/sampleFiles.js';
import { runSweep, type SweepGenerator, type SweepProgress } from '../../src/analysis/sweepRunner.js';
import { expandSweep, parseSweepSpec, type SweepSpec } from '../../src/analysis/sweepSpec.js';
import type { SweepResultRow } from '../../src/analysis/sweepResults.js';
import { readAudio } from '../../src/audio/read.js';
import { writeAudio } from '../../src/audio/write.js';
import { AbortError } from '../../src/inference/errors.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { synthesizedPreset } from '../helpers/models.js';

const DURATION = 0.3;

/** A stand-in embedding model: RMS, mean and peak of the audio; text -> a fixed vector. */
const fakeEmbedder: TextAudioEmbedder = {
  name: 'fake',
  embedText: async () => Float32Array.from([1, 0, 1]),
  embedAudio: async (channels) => {
    const x = channels[0];
    let sq = 0;
    let sum = 0;
    let peak = 0;
    for (const v of x) {
      sq += v * v;
      sum += v;
      peak = Math.max(peak, Math.abs(v));
    }
    return Float32Array.from([Math.sqrt(sq / x.length), sum / x.length, peak]);
  },
};

/** One loaded tiny model shared by the runs, wrapped to count its calls (and their items). */
function counting(mg: MusicGen): { generator: SweepGenerator; calls: number[] } {
  const calls: number[] = [];
  const generator: SweepGenerator = {
    config: mg.config,
    generateRequest: (request) => {
      calls.push(request.items!.length);
      return mg.generateRequest(request);
    },
    dispose: async () => undefined,
  };
  return { generator, calls };
}

describe('sweep runner on the tiny preset', () => {
  let mg: MusicGen;
  let modelDir: string;
  let spec: SweepSpec;

  beforeAll(async () => {
    modelDir = synthesizedPreset('tiny');
    mg = await MusicGen.load(modelDir, { threads: 1 });
    // 2 top-k x 2 temperatures x 2 CFG coefficients = 8 settings of one prompt and seed.
    spec = {
      name: 'tiny-grid',
      models: [{ name: 'tiny', path: modelDir }],
      prompts: ['warm piano and soft drums'],
      topK: [50, 250],
      temperature: [0.7, 1],
      cfgCoef: [1, 3],
      seeds: [7],
      duration: DURATION,
      strategy: 'peak',
    };
  });
  afterAll(async () => {
    await mg?.dispose();
  });

  it('8 settings run in ceil(8 / maxBatch) batches, each sample equal to its setting generated alone', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sweep-run-'));
    const { generator, calls } = counting(mg);
    const progress: SweepProgress[] = [];
    const result = await runSweep(spec, {
      outDir: out,
      maxBatch: 3,
      loadModel: async () => generator,
      progress: (p) => progress.push(p),
      embeddingMetrics: [new ClapScoreMetric(fakeEmbedder)],
    });
    expect(calls).toEqual([3, 3, 2]);
    expect(result.batches).toHaveLength(Math.ceil(8 / 3));
    const frames = Math.trunc(DURATION * 50);
    // One decoder forward per step for the whole batch.
    for (const b of result.batches) expect(b.decoderCalls).toBe(frames + 3);
    expect(result.rows).toHaveLength(8);
    expect(result.generated).toHaveLength(8);
    expect(progress.at(-1)).toMatchObject({ doneSamples: 8, totalSamples: 8, batchIndex: 3, batchCount: 3 });
    expect(progress.at(-1)!.doneSteps).toBe(progress.at(-1)!.totalSteps);

    for (const row of result.rows) {
      const sidecar = readSampleSidecar(out, row.sampleId)!;
      const alone = await mg.generate([spec.prompts[0] as string], {
        params: { duration: DURATION, topK: row.topK, temperature: row.temperature, cfgCoef: row.cfgCoef, seed: row.seed },
      });
      expect(sidecar.codes, row.sampleId).toEqual(alone.codes[0].map((c) => Array.from(c)));
      expect(existsSync(join(out, row.file))).toBe(true);
      expect(row.entropyBitsByCodebook).toHaveLength(4);
      expect(row.entropyBits).toBeGreaterThan(0);
      expect(row.entropyBits).toBeLessThanOrEqual(Math.log2(frames) + 1e-9);
      expect(row.spectralCentroidHz).toBeGreaterThan(0);
      expect(row.realTimeFactor).toBeGreaterThan(0);
      expect(row.peakRssMb).toBeGreaterThan(10);
      expect(row.chromaMatchRate).toBeNull();
    }

    // results.json holds the rows; results.csv one line per sample with a header.
    const json = JSON.parse(readFileSync(result.files.resultsJson, 'utf8')) as SweepResultRow[];
    expect(json.map((r) => r.sampleId)).toEqual(result.rows.map((r) => r.sampleId));
    const csv = readFileSync(result.files.resultsCsv, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(9);
    expect(csv[0]).toContain('entropyBits_cb3');
    expect(csv[0]).toContain('emb_clapScore_fake');
    expect(result.rows.every((r) => typeof r.embedding.clapScore_fake === 'number')).toBe(true);
    // A set-level metric (FAD against reference embeddings) per CFG coefficient.
    const reference = [Float32Array.from([0.1, 0, 0.3]), Float32Array.from([0.2, 0.01, 0.5]), Float32Array.from([0.15, -0.01, 0.4])];
    const fad = await groupEmbeddingMetric(result.rows, out, new FrechetAudioDistanceMetric(fakeEmbedder, reference), ['cfgCoef']);
    expect(fad.map((g) => [g.group.cfgCoef, g.n])).toEqual([[1, 4], [3, 4]]);
    expect(fad.every((g) => Number.isFinite(g.value) && g.value >= -1e-9)).toBe(true);
    // Stopped by its signal once the first group is measured: no second group is read.
    const stop = new AbortController();
    const stopping = { name: 'fad_stop', measureSet: async () => (stop.abort(), 0) };
    await expect(groupEmbeddingMetric(result.rows, out, stopping, ['cfgCoef'], { signal: stop.signal })).rejects.toThrow('fad_stop interrupted after 1 of 2 groups');
    // The MOS manifest: one system per setting, items matched by prompt and seed.
    const manifest = JSON.parse(readFileSync(result.files.manifest, 'utf8')) as { name: string; items: Array<{ id: string; system: string; audio: string; prompt: string }> };
    expect(manifest.name).toBe('tiny-grid');
    expect(new Set(manifest.items.map((i) => i.system)).size).toBe(8);
    expect(new Set(manifest.items.map((i) => i.id))).toEqual(new Set(['p0-s7']));
    expect(manifest.items.every((i) => existsSync(join(out, i.audio)) && i.prompt === 'warm piano and soft drums')).toBe(true);

    // DataFrame and summary.
    const df = resultsDataFrame(result.rows);
    expect(df.shape[0]).toBe(8);
    expect(df.columns).toContain('cfgCoef');
    const summary = summaryRows(result.rows, { groupBy: ['cfgCoef'], metrics: ['entropyBits'] });
    expect(summary.map((s) => [s.cfgCoef, s.n])).toEqual([[1, 4], [3, 4]]);
    expect(typeof summary[0].entropyBits_ci95).toBe('number');
  });

  it('an interrupted sweep resumes without regenerating finished samples', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sweep-resume-'));
    const first = counting(mg);
    const controller = new AbortController();
    // Abort as soon as the first batch's samples are written: the second batch never starts.
    const run = runSweep(spec, {
      outDir: out,
      maxBatch: 4,
      signal: controller.signal,
      loadModel: async () => first.generator,
      progress: (p) => {
        if (p.doneSamples >= 4) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortError);
    await expect(run).rejects.toThrow(`sweep interrupted: 4 of 8 samples are finished and kept in ${out}; run the same sweep again to resume`);
    expect(first.calls).toEqual([4]);
    const finished = expandSweep(parseSweepSpec(spec))
      .map((s) => s.sampleId)
      .filter((id) => readSampleSidecar(out, id) !== null);
    expect(finished).toHaveLength(4);
    const stamps = finished.map((id) => statSync(sampleSidecarPath(out, id)).mtimeMs);

    const second = counting(mg);
    const resumed = await runSweep(spec, { outDir: out, maxBatch: 4, loadModel: async () => second.generator });
    expect(second.calls).toEqual([4]);
    expect(resumed.skipped.sort()).toEqual([...finished].sort());
    expect(resumed.generated).toHaveLength(4);
    expect(resumed.rows).toHaveLength(8);
    expect(finished.map((id) => statSync(sampleSidecarPath(out, id)).mtimeMs)).toEqual(stamps);

    // A third run finds everything done and never loads the model.
    let loads = 0;
    const third = await runSweep(spec, { outDir: out, loadModel: async () => (loads++, second.generator) });
    expect(loads).toBe(0);
    expect(third.skipped).toHaveLength(8);

    // A different duration in the same folder is refused rather than mixed in.
    await expect(runSweep({ ...spec, duration: 0.5 }, { outDir: out, loadModel: async () => second.generator })).rejects.toThrow(/asks for 25/);
  });
});

describe('sweep runner on the melody-tiny preset', () => {
  it('a melody conditions melody models, and each sample equals generateWithChroma alone with the same seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-melody-'));
    const sr = 44100;
    const melody = Float32Array.from({ length: sr / 2 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 329.63 * i) / sr));
    await writeAudio(join(dir, 'melody.wav'), [melody], sr, { strategy: 'none' });
    const modelDir = synthesizedPreset('melody-tiny');
    const mg = await MusicGen.load(modelDir, { threads: 1 });
    try {
      const { generator, calls } = counting(mg);
      const result = await runSweep(
        { models: [modelDir], prompts: [{ text: 'bright synth', melody: 'melody.wav' }], cfgCoef: [1, 3], seeds: [2], duration: DURATION },
        { outDir: join(dir, 'out'), baseDir: dir, loadModel: async () => generator },
      );
      expect(calls).toEqual([2]);
      const decoded = await readAudio(join(dir, 'melody.wav'));
      for (const row of result.rows) {
        expect(row.melody).toBe(join(dir, 'melody.wav'));
        expect(row.chromaMatchRate).not.toBeNull();
        const alone = await mg.generateWithChroma(['bright synth'], [decoded.channels], decoded.sampleRate, {
          params: { duration: DURATION, cfgCoef: row.cfgCoef, seed: row.seed },
        });
        expect(readSampleSidecar(join(dir, 'out'), row.sampleId)!.codes, row.sampleId).toEqual(alone.codes[0].map((c) => Array.from(c)));
      }
    } finally {
      await mg.dispose();
    }
  });
});
