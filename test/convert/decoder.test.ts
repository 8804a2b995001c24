import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildDecoderGraph } from '../../src/convert/decoderGraph.js';
import { serializeModel } from '../../src/convert/serialize.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { CheckedWeights } from '../../src/convert/weights.js';
import { parseModelConfig, type MusicgenModelConfig } from '../../src/model/modelConfig.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2, type FixtureModel } from '../helpers/fixtures.js';

const i64 = (data: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), dims);
const f32 = (data: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

async function load(model: FixtureModel): Promise<{ config: MusicgenModelConfig; session: ort.InferenceSession }> {
  const dir = fixtureCheckpointDir(model);
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const graph = buildDecoderGraph(config, new CheckedWeights(openCheckpointWeights(dir)));
  const session = await ort.InferenceSession.create(serializeModel(graph, 'decoder_model_merged.onnx').model);
  return { config, session };
}

/** Feeds with an empty cache (first step) or the given presents. */
function feeds(
  config: MusicgenModelConfig,
  base: Record<string, ort.Tensor>,
  cache: ort.InferenceSession.OnnxValueMapType | null,
): Record<string, ort.Tensor> {
  const c = config.decoder;
  const B2 = base.encoder_hidden_states.dims[0];
  const hd = c.hiddenSize / c.numHeads;
  const empty = (): ort.Tensor => f32(new Float32Array(0), [B2, c.numHeads, 0, hd]);
  const out: Record<string, ort.Tensor> = { ...base, use_cache_branch: new ort.Tensor('bool', Uint8Array.from([cache ? 1 : 0]), [1]) };
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value']) {
      out[`past_key_values.${i}.decoder.${kind}`] = cache ? (cache[`present.${i}.decoder.${kind}`] as ort.Tensor) : empty();
      if (!config.melody) out[`past_key_values.${i}.encoder.${kind}`] = cache ? (cache[`present.${i}.encoder.${kind}`] as ort.Tensor) : empty();
    }
  }
  return out;
}

/** Columns [from, to) of an int64 [rows, cols] fixture. */
function columns(ids: { data: number[]; shape: number[] }, from: number, to: number): ort.Tensor {
  const [rows, cols] = ids.shape;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let t = from; t < to; t++) out.push(ids.data[r * cols + t]);
  return i64(out, [rows, to - from]);
}

/** Positions [from, to) of logits [rows, S, V]. */
function positions(logits: Float32Array, rows: number, S: number, V: number, from: number, to: number): Float32Array {
  const out = new Float32Array(rows * (to - from) * V);
  let o = 0;
  for (let r = 0; r < rows; r++) for (let t = from; t < to; t++) for (let v = 0; v < V; v++) out[o++] = logits[(r * S + t) * V + v];
  return out;
}

describe.each<FixtureModel>(['musicgen-tiny', 'musicgen-stereo-tiny'])('text decoder graph (%s)', (model) => {
  it('matches the teacher-forced logits, with the condition and with the null condition', async () => {
    const { config, session } = await load(model);
    const ids = fixtureI64(model, 'decoder.input_ids');
    const states = fixtureF32(model, 'text_encoder.last_hidden_state');
    const mask = fixtureI64(model, 'text.attention_mask');
    const base = { input_ids: i64(ids.data, ids.shape), encoder_hidden_states: f32(states.data, states.shape), encoder_attention_mask: i64(mask.data, mask.shape) };
    const out = await session.run(feeds(config, base, null));
    const ref = fixtureF32(model, 'decoder.logits');
    expect(out.logits.dims).toEqual(ref.shape);
    expect(relL2(out.logits.data as Float32Array, ref.data)).toBeLessThan(1e-4);

    const nullBase = {
      ...base,
      encoder_hidden_states: f32(new Float32Array(states.data.length), states.shape),
      encoder_attention_mask: i64(new Array(mask.data.length).fill(0), mask.shape),
    };
    const nullOut = await session.run(feeds(config, nullBase, null));
    const nullLogits = nullOut.logits.data as Float32Array;
    expect(nullLogits.every(Number.isFinite)).toBe(true);
    expect(relL2(nullLogits, fixtureF32(model, 'decoder.logits_null_condition').data)).toBeLessThan(1e-4);
  });

  it('gives the same logits step by step through the KV cache', async () => {
    const { config, session } = await load(model);
    const ids = fixtureI64(model, 'decoder.input_ids');
    const states = fixtureF32(model, 'text_encoder.last_hidden_state');
    const mask = fixtureI64(model, 'text.attention_mask');
    const ref = fixtureF32(model, 'decoder.logits');
    const [rows, S, V] = ref.shape;
    const cond = { encoder_hidden_states: f32(states.data, states.shape), encoder_attention_mask: i64(mask.data, mask.shape) };
    let out = await session.run(feeds(config, { ...cond, input_ids: columns(ids, 0, 3) }, null));
    expect(relL2(out.logits.data as Float32Array, positions(ref.data, rows, S, V, 0, 3))).toBeLessThan(1e-4);
    for (let t = 3; t < S; t++) {
      out = await session.run(feeds(config, { ...cond, input_ids: columns(ids, t, t + 1) }, out));
      expect(out['present.0.decoder.key'].dims[2]).toBe(t + 1);
      expect(relL2(out.logits.data as Float32Array, positions(ref.data, rows, S, V, t, t + 1))).toBeLessThan(1e-4);
    }
  });
});

describe('melody decoder graph (musicgen-melody-tiny)', () => {
  const model: FixtureModel = 'musicgen-melody-tiny';

  it('matches the token logits with chroma and with the text-only default chroma, also through the cache', async () => {
    const { config, session } = await load(model);
    const ids = fixtureI64(model, 'decoder.input_ids');
    const states = fixtureF32(model, 'text_encoder.last_hidden_state');
    const mask = fixtureI64(model, 'text.attention_mask');
    const chroma = fixtureF32(model, 'melody.input_features');
    const ref = fixtureF32(model, 'decoder.logits');
    const [rows, S, V] = ref.shape; // S covers the 235 + L prefix positions too
    const T = ids.shape[1];
    const cond = { encoder_hidden_states: f32(states.data, states.shape), encoder_attention_mask: i64(mask.data, mask.shape) };
    const full = await session.run(feeds(config, { ...cond, input_features: f32(chroma.data, chroma.shape), input_ids: i64(ids.data, ids.shape) }, null));
    expect(full.logits.dims).toEqual([rows, T, V]);
    expect(relL2(full.logits.data as Float32Array, positions(ref.data, rows, S, V, S - T, S))).toBeLessThan(1e-4);
    expect(full['present.0.decoder.key'].dims[2]).toBe(S);

    // Cached: first step with 3 tokens, then one token at a time; the prefix is fed only once.
    let out = await session.run(feeds(config, { ...cond, input_features: f32(chroma.data, chroma.shape), input_ids: columns(ids, 0, 3) }, null));
    for (let t = 3; t < T; t++) {
      out = await session.run(feeds(config, { ...cond, input_features: f32(chroma.data, chroma.shape), input_ids: columns(ids, t, t + 1) }, out));
      expect(relL2(out.logits.data as Float32Array, positions(ref.data, rows, S, V, S - T + t, S - T + t + 1))).toBeLessThan(1e-4);
    }

    // Text only: HF's default chroma is one frame, one-hot at C.
    const oneHotC = new Float32Array(2 * 12);
    oneHotC[0] = 1;
    oneHotC[12] = 1;
    const textOnly = await session.run(feeds(config, { ...cond, input_features: f32(oneHotC, [2, 1, 12]), input_ids: i64(ids.data, ids.shape) }, null));
    const refText = fixtureF32(model, 'decoder.logits_text_only');
    expect(relL2(textOnly.logits.data as Float32Array, positions(refText.data, rows, S, V, S - T, S))).toBeLessThan(1e-4);
  });
});
