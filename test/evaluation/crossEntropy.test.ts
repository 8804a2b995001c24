import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/modelFolder.js';
import { SafetensorsFile } from '../../src/convert/safetensors.js';
import { CrossEntropyScorer, type ScoreItem } from '../../src/evaluation/crossEntropyScorer.js';
import { teacherForcedSequence } from '../../src/evaluation/teacherForcing.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, fixtureTextTokens, type FixtureModel } from '../helpers/fixtures.js';
import { convertedFixture } from '../helpers/models.js';
import { writeSafetensors } from '../helpers/safetensorsWriter.js';

const work = mkdtempSync(join(tmpdir(), 'mg-ce-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MODELS: FixtureModel[] = ['musicgen-tiny', 'musicgen-stereo-tiny', 'musicgen-melody-tiny'];

/**
 * The cross-entropy of the fixture's teacher-forced ids computed straight from the PyTorch logits:
 * for codebook k, every step s > d_k holds a target predicted by the logits at step s - 1.
 */
function referenceCrossEntropy(model: FixtureModel, item: number): number[] {
  const ids = fixtureI64(model, 'decoder.input_ids');
  const logits = fixtureF32(model, 'decoder.logits');
  const [rows, S] = ids.shape;
  const [, P, V] = logits.shape; // melody: P = prefix + S positions, the tokens are the last S
  const K = rows / 2;
  const stereo = model === 'musicgen-stereo-tiny';
  return Array.from({ length: K }, (_, k) => {
    const d = stereo ? Math.floor(k / 2) : k;
    const r = item * K + k;
    let nats = 0;
    let n = 0;
    for (let s = d + 1; s < S; s++) {
      const row = Array.from(logits.data.subarray((r * P + P - S + s - 1) * V, (r * P + P - S + s) * V));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      nats += lse - row[ids.data[r * S + s]];
      n++;
    }
    return nats / n;
  });
}

/** The fixture's ids of one item as codes [K][T = S - 1] (frames past the valid steps are 0: never read). */
function fixtureCodes(model: FixtureModel, item: number): Int32Array[] {
  const ids = fixtureI64(model, 'decoder.input_ids');
  const [rows, S] = ids.shape;
  const K = rows / 2;
  const stereo = model === 'musicgen-stereo-tiny';
  return Array.from({ length: K }, (_, k) => {
    const d = stereo ? Math.floor(k / 2) : k;
    const codes = new Int32Array(S - 1);
    for (let t = 0; t + d < S - 1; t++) codes[t] = ids.data[(item * K + k) * S + t + 1 + d];
    return codes;
  });
}

function fixtureItems(model: FixtureModel): ScoreItem[] {
  const text = fixtureTextTokens(model);
  return [0, 1].map((b) => {
    const item: ScoreItem = { codes: fixtureCodes(model, b), text: { inputIds: text.inputIds[b], attentionMask: text.attentionMask[b] } };
    if (model === 'musicgen-melody-tiny') {
      const f = fixtureF32(model, 'melody.input_features');
      const [, C, bins] = f.shape;
      item.chroma = Array.from({ length: C }, (_, t) => f.data.slice((b * C + t) * bins, (b * C + t + 1) * bins));
    }
    return item;
  });
}

describe.each(MODELS)('teacher-forced cross-entropy vs the PyTorch logits (%s)', (model) => {
  it('rebuilds the fixture ids from the codes (AudioCraft valid steps: T + 1, special in the triangle)', () => {
    const ids = fixtureI64(model, 'decoder.input_ids');
    const [rows, S] = ids.shape;
    const K = rows / 2;
    for (const b of [0, 1]) {
      const codes = fixtureCodes(model, b);
      const flat = new Int32Array(K * (S - 1));
      codes.forEach((c, k) => flat.set(c, k * (S - 1)));
      const seq = teacherForcedSequence(flat, { numCodebooks: K, audioChannels: model === 'musicgen-stereo-tiny' ? 2 : 1, frames: S - 1, vocabSize: 64 });
      expect(Array.from(seq)).toEqual(ids.data.slice(b * K * S, (b + 1) * K * S));
    }
  });

  it.each(['kvbuffer', 'merged'])('equals the direct computation within 1e-5 relative (%s decoder)', async (layout) => {
    const scorer = await CrossEntropyScorer.load(convertedFixture(model), { threads: 1, decoderLayout: layout });
    try {
      const results = await scorer.crossEntropy(fixtureItems(model));
      for (const b of [0, 1]) {
        const ref = referenceCrossEntropy(model, b);
        const got = results[b];
        expect(got.crossEntropy.length).toBe(ref.length);
        got.crossEntropy.forEach((ce, k) => expect(Math.abs(ce - ref[k]) / ref[k]).toBeLessThan(1e-5));
        const refCe = ref.reduce((a, x) => a + x, 0) / ref.length;
        expect(Math.abs(got.ce - refCe) / refCe).toBeLessThan(1e-5);
        expect(got.ppl).toBeCloseTo(Math.exp(got.ce), 10);
        got.perplexity.forEach((p, k) => expect(p).toBeCloseTo(Math.exp(got.crossEntropy[k]), 10));
        // 7 frames; codebook k scores 7 - d_k of them.
        const stereo = model === 'musicgen-stereo-tiny';
        expect(got.tokens).toEqual(got.crossEntropy.map((_, k) => 7 - (stereo ? Math.floor(k / 2) : k)));
      }
    } finally {
      await scorer.dispose();
    }
  });
});

describe('melody conditioning from the item audio (AudioCraft self-wav)', () => {
  it('the chroma of the fixture waveforms gives the cross-entropy of HF input_features', async () => {
    const model: FixtureModel = 'musicgen-melody-tiny';
    const scorer = await CrossEntropyScorer.load(convertedFixture(model), { threads: 1 });
    try {
      const wav = fixtureF32(model, 'melody.waveforms');
      const n = wav.shape[1];
      const items = fixtureItems(model).map((it, b) => ({ ...it, chroma: null, melody: { channels: [wav.data.slice(b * n, (b + 1) * n)], sampleRate: 32000 } }));
      const results = await scorer.crossEntropy(items);
      results.forEach((r, b) => {
        const ref = referenceCrossEntropy(model, b);
        r.crossEntropy.forEach((ce, k) => expect(Math.abs(ce - ref[k]) / ref[k]).toBeLessThan(1e-5));
      });
      // Without the melody (one-hot C, HF's default) the same codes score differently.
      const plain = await scorer.crossEntropy(items.map((it) => ({ ...it, melody: null })));
      expect(Math.abs(plain[0].ce - results[0].ce)).toBeGreaterThan(1e-4);
    } finally {
      await scorer.dispose();
    }
  });
});

/** A copy of the musicgen-tiny checkpoint with 2048 codes per codebook and all-zero LM heads. */
function uniformHeadCheckpoint(): string {
  const src = fixtureCheckpointDir('musicgen-tiny');
  const dir = join(work, 'uniform-ckpt');
  mkdirSync(dir, { recursive: true });
  const file = new SafetensorsFile(join(src, 'model.safetensors'));
  const tensors = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const k of file.entries.keys()) tensors.set(k, file.read(k));
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as { decoder: Record<string, unknown> };
  const V = 2048;
  Object.assign(config.decoder, { vocab_size: V, pad_token_id: V, bos_token_id: V });
  const rand = mulberry32(7);
  for (const [name, t] of tensors) {
    if (/embed_tokens\.\d+\.weight$/.test(name)) {
      const data = Float32Array.from({ length: (V + 1) * t.shape[1] }, () => rand() * 2 - 1);
      tensors.set(name, { data, shape: [V + 1, t.shape[1]] });
    } else if (/lm_heads\.\d+\.weight$/.test(name)) {
      tensors.set(name, { data: new Float32Array(V * t.shape[1]), shape: [V, t.shape[1]] });
    }
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('known answers', () => {
  it('a decoder whose LM heads give uniform logits scores ln(2048) per codebook', async () => {
    const out = join(work, 'uniform');
    convertCheckpoint(uniformHeadCheckpoint(), out);
    const scorer = await CrossEntropyScorer.load(out, { threads: 1 });
    try {
      const rand = mulberry32(3);
      const codes = Array.from({ length: 4 }, () => Int32Array.from({ length: 30 }, () => Math.floor(rand() * 2048)));
      const [r] = await scorer.crossEntropy([{ codes }]);
      r.crossEntropy.forEach((ce) => expect(ce).toBeCloseTo(Math.log(2048), 6));
      expect(r.ppl).toBeCloseTo(2048, 2);
      expect(r.tokens).toEqual([30, 29, 28, 27]);
    } finally {
      await scorer.dispose();
    }
  });

  it('a model scores its own greedy continuation lower than the same codes shuffled in time', async () => {
    const dir = convertedFixture('musicgen-tiny');
    const text = fixtureTextTokens('musicgen-tiny');
    const mg = await MusicGen.load(dir, { threads: 1 });
    // No CFG: the scorer reads the conditional logits, which then are exactly what greedy decoding chose from.
    const gen = await mg.generate(text, { params: { useSampling: false, cfgCoef: 1, frames: 40 } });
    await mg.dispose();
    const scorer = await CrossEntropyScorer.load(dir, { threads: 1 });
    try {
      const rand = mulberry32(11);
      const order = Array.from({ length: 40 }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const items = [0, 1].flatMap((b): ScoreItem[] => {
        const t = { inputIds: text.inputIds[b], attentionMask: text.attentionMask[b] };
        const shuffled = gen.codes[b].map((row) => Int32Array.from(order, (i) => row[i]));
        return [{ codes: gen.codes[b], text: t }, { codes: shuffled, text: t }];
      });
      const [own0, shuffled0, own1, shuffled1] = await scorer.crossEntropy(items);
      for (const [own, shuffled] of [[own0, shuffled0], [own1, shuffled1]]) {
        own.crossEntropy.forEach((ce, k) => expect(ce).toBeLessThan(shuffled.crossEntropy[k]));
        // Every target is the argmax of its logits: well under the uniform ln(64).
        expect(own.ce).toBeLessThan(Math.log(64));
      }
    } finally {
      await scorer.dispose();
    }
  });
});

describe('one decoder call over the known sequence', () => {
  it.each(['kvbuffer', 'merged'])('gives the logits of stepping the same ids through the KV cache (%s decoder)', async (layout) => {
    const { createSession } = await import('../../src/inference/sessions.js');
    const { createDecoderState } = await import('../../src/inference/decoderState.js');
    const { locateModelFiles } = await import('../../src/model/modelFiles.js');
    const { teacherForcedLogits } = await import('../../src/evaluation/teacherForcedForward.js');
    const model: FixtureModel = 'musicgen-tiny';
    const files = locateModelFiles(convertedFixture(model), 'fp32', layout);
    const session = await createSession(files.decoder, { threads: 1 });
    try {
      const ids = fixtureI64(model, 'decoder.input_ids');
      const [rows, S] = ids.shape;
      const states = fixtureF32(model, 'text_encoder.last_hidden_state');
      const mask = fixtureI64(model, 'text.attention_mask');
      const conditioning = { rows: 2, encoderHiddenStates: states.data, encoderLength: states.shape[1], encoderMask: mask.data };
      const all = await teacherForcedLogits(session, files.config, conditioning, ids.data, S);
      const state = createDecoderState(session, files.config, conditioning, S);
      const V = 64;
      for (let s = 0; s < S; s++) {
        const column = Array.from({ length: rows }, (_, r) => ids.data[r * S + s]);
        const step = await state.step(column, 1);
        for (let r = 0; r < rows; r++) {
          const a = all.subarray((r * S + s) * V, (r * S + s + 1) * V);
          const b = step.subarray(r * V, (r + 1) * V);
          for (let v = 0; v < V; v++) expect(Math.abs(a[v] - b[v])).toBeLessThan(1e-4);
        }
      }
    } finally {
      await session.release();
    }
  });
});
