import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildDecoderGraph } from '../../src/convert/decoderGraph.js';
import { serializeModel } from '../../src/convert/serialize.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { CheckedWeights } from '../../src/convert/weights.js';
import { PAST_LENGTH_INPUT } from '../../src/model/decoderLayout.js';
import type { DecoderConditioning } from '../../src/inference/decoderState.js';
import { KvBufferDecoderState } from '../../src/inference/kvBufferDecoderState.js';
import { parseModelConfig, type MusicgenModelConfig } from '../../src/model/modelConfig.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2, type FixtureModel } from '../helpers/fixtures.js';

// The kvbuffer decoder (ours, docs/MODEL_FORMAT.md) checked against the PyTorch logits directly,
// not against our merged graph, with buffers that grow every 2 positions (so each step reads
// unfilled, masked slots and growth re-lays the cache out) and with garbage in unfilled slots.

async function load(model: FixtureModel): Promise<{ config: MusicgenModelConfig; session: ort.InferenceSession }> {
  const dir = fixtureCheckpointDir(model);
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const graph = buildDecoderGraph(config, new CheckedWeights(openCheckpointWeights(dir)), undefined, 'kvbuffer');
  const session = await ort.InferenceSession.create(serializeModel(graph, 'decoder_model_kvbuffer.onnx').model);
  return { config, session };
}

function conditioning(model: FixtureModel, config: MusicgenModelConfig): DecoderConditioning {
  const states = fixtureF32(model, 'text_encoder.last_hidden_state');
  const mask = fixtureI64(model, 'text.attention_mask');
  const out: DecoderConditioning = { rows: states.shape[0], encoderHiddenStates: states.data, encoderLength: states.shape[1], encoderMask: mask.data };
  if (config.melody) {
    const chroma = fixtureF32(model, 'melody.input_features');
    out.chroma = { data: chroma.data, frames: chroma.shape[1] };
  }
  return out;
}

/** ids [rows, cols] columns [from, to), row-major. */
function columns(ids: { data: number[]; shape: number[] }, from: number, to: number): number[] {
  const [rows, cols] = ids.shape;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let t = from; t < to; t++) out.push(ids.data[r * cols + t]);
  return out;
}

/** Position t of logits [rows, S, V]. */
function position(logits: Float32Array, rows: number, S: number, V: number, t: number): Float32Array {
  const out = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) out.set(logits.subarray((r * S + t) * V, (r * S + t + 1) * V), r * V);
  return out;
}

describe.each<FixtureModel>(['musicgen-tiny', 'musicgen-stereo-tiny', 'musicgen-melody-tiny'])('kvbuffer decoder graph (%s)', (model) => {
  it.each([
    ['grown by reallocation', {}],
    ['reserved once and re-laid out in place', { tokenSteps: 8 }],
  ])('reproduces the PyTorch logits step by step through a buffer grown in chunks of 2, %s', async (_, reserve) => {
    const { config, session } = await load(model);
    expect(session.inputNames).toContain(PAST_LENGTH_INPUT);
    const ids = fixtureI64(model, 'decoder.input_ids');
    const ref = fixtureF32(model, 'decoder.logits');
    const [rows, S, V] = ref.shape;
    const T = ids.shape[1];
    const offset = S - T; // melody: the chroma + text prefix comes first
    const state = new KvBufferDecoderState(session, config, conditioning(model, config), { chunk: 2, ...reserve });
    let logits = await state.step(columns(ids, 0, 3), 3);
    expect(state.pastLength).toBe(offset + 3);
    expect(relL2(logits, position(ref.data, rows, S, V, offset + 2))).toBeLessThan(1e-4);
    for (let t = 3; t < T; t++) {
      logits = await state.step(columns(ids, t, t + 1), 1);
      expect(state.pastLength).toBe(offset + t + 1);
      expect(relL2(logits, position(ref.data, rows, S, V, offset + t))).toBeLessThan(1e-4);
    }
  });
});

describe('kvbuffer decoder graph I/O (musicgen-tiny)', () => {
  const model: FixtureModel = 'musicgen-tiny';

  it('returns only the new K/V, cross K/V on the first step only, and ignores unfilled slots', async () => {
    const { config, session } = await load(model);
    const c = config.decoder;
    const hd = c.hiddenSize / c.numHeads;
    const ids = fixtureI64(model, 'decoder.input_ids');
    const cond = conditioning(model, config);
    const R = cond.rows;
    const base = {
      encoder_hidden_states: new ort.Tensor('float32', cond.encoderHiddenStates, [R, cond.encoderLength, config.textEncoder.dModel]),
      encoder_attention_mask: new ort.Tensor('int64', BigInt64Array.from(Array.from(cond.encoderMask), BigInt), [R, cond.encoderLength]),
    };
    const ids64 = (from: number, to: number): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(columns(ids, from, to), BigInt), [R * c.numCodebooks, to - from]);
    const empty = new ort.Tensor('float32', new Float32Array(0), [R, c.numHeads, 0, hd]);
    const feeds = (past: (i: number, kv: string) => ort.Tensor, cross: (i: number, kv: string) => ort.Tensor, P: number, first: boolean, input: ort.Tensor) => {
      const f: Record<string, ort.Tensor> = {
        ...base,
        input_ids: input,
        use_cache_branch: new ort.Tensor('bool', Uint8Array.of(first ? 0 : 1), [1]),
        [PAST_LENGTH_INPUT]: new ort.Tensor('int64', BigInt64Array.of(BigInt(P)), [1]),
      };
      for (let i = 0; i < c.numLayers; i++) {
        for (const kv of ['key', 'value']) {
          f[`past_key_values.${i}.decoder.${kv}`] = past(i, kv);
          f[`past_key_values.${i}.encoder.${kv}`] = cross(i, kv);
        }
      }
      return f;
    };
    const first = await session.run(feeds(() => empty, () => empty, 0, true, ids64(0, 3)));
    expect(first['present.0.decoder.key'].dims).toEqual([R, c.numHeads, 3, hd]);
    expect(first['present.0.encoder.key'].dims).toEqual([R, c.numHeads, cond.encoderLength, hd]);

    // The same 3 cached positions in a buffer of exactly 3 and in one of 7 whose slots 3..6 hold garbage.
    const buffer = (i: number, kv: string, capacity: number): ort.Tensor => {
      const fresh = first[`present.${i}.decoder.${kv}`].data as Float32Array;
      const out = new Float32Array(R * c.numHeads * capacity * hd).map((_, j) => 1e3 * Math.sin(j));
      for (let lane = 0; lane < R * c.numHeads; lane++) out.set(fresh.subarray(lane * 3 * hd, (lane + 1) * 3 * hd), lane * capacity * hd);
      return new ort.Tensor('float32', out, [R, c.numHeads, capacity, hd]);
    };
    const cross = (i: number, kv: string): ort.Tensor => first[`present.${i}.encoder.${kv}`] as ort.Tensor;
    const exact = await session.run(feeds((i, kv) => buffer(i, kv, 3), cross, 3, false, ids64(3, 4)));
    const padded = await session.run(feeds((i, kv) => buffer(i, kv, 7), cross, 3, false, ids64(3, 4)));
    expect(exact['present.0.decoder.key'].dims).toEqual([R, c.numHeads, 1, hd]);
    expect(exact['present.0.encoder.key'].dims).toEqual([R, c.numHeads, 0, hd]);
    expect(relL2(padded.logits.data as Float32Array, exact.logits.data as Float32Array)).toBeLessThan(1e-6);
    const ref = fixtureF32(model, 'decoder.logits');
    const [rows, S, V] = ref.shape;
    expect(relL2(exact.logits.data as Float32Array, position(ref.data, rows, S, V, 3))).toBeLessThan(1e-4);
  });
});
