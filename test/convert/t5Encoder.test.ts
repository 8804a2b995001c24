import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { serializeModel } from '../../src/convert/serialize.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { buildT5EncoderGraph, t5RelativeBucket } from '../../src/convert/t5EncoderGraph.js';
import { CheckedWeights } from '../../src/convert/weights.js';
import { parseModelConfig } from '../../src/model/modelConfig.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2, type FixtureModel } from '../helpers/fixtures.js';

function i64(data: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), dims);
}

describe('T5 relative position buckets', () => {
  it('match the buckets HF computes for 32 buckets / max distance 128', () => {
    // Hand-derived from HF's _relative_position_bucket (bidirectional): exact below 8, log-spaced
    // up to 128, keys after the query offset by 16.
    expect(t5RelativeBucket(0, 32, 128)).toBe(0);
    expect(t5RelativeBucket(-1, 32, 128)).toBe(1);
    expect(t5RelativeBucket(1, 32, 128)).toBe(17);
    expect(t5RelativeBucket(-7, 32, 128)).toBe(7);
    expect(t5RelativeBucket(-8, 32, 128)).toBe(8);
    expect(t5RelativeBucket(-15, 32, 128)).toBe(9);
    expect(t5RelativeBucket(-16, 32, 128)).toBe(10);
    expect(t5RelativeBucket(-32, 32, 128)).toBe(12);
    expect(t5RelativeBucket(-64, 32, 128)).toBe(14);
    expect(t5RelativeBucket(-500, 32, 128)).toBe(15);
    expect(t5RelativeBucket(500, 32, 128)).toBe(31);
  });
});

describe.each<FixtureModel>(['musicgen-tiny', 'musicgen-stereo-tiny', 'musicgen-melody-tiny'])('T5 encoder graph (%s)', (model) => {
  it('reproduces the reference last_hidden_state within 1e-4 relative L2', async () => {
    const dir = fixtureCheckpointDir(model);
    const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    const graph = buildT5EncoderGraph(config.textEncoder, new CheckedWeights(openCheckpointWeights(dir)));
    const session = await ort.InferenceSession.create(serializeModel(graph, 'text_encoder.onnx').model);
    const ids = fixtureI64(model, 'text.input_ids');
    const mask = fixtureI64(model, 'text.attention_mask');
    const out = await session.run({ input_ids: i64(ids.data, ids.shape), attention_mask: i64(mask.data, mask.shape) });
    const ref = fixtureF32(model, 'text_encoder.last_hidden_state');
    expect(out.last_hidden_state.dims).toEqual(ref.shape);
    expect(relL2(out.last_hidden_state.data as Float32Array, ref.data)).toBeLessThan(1e-4);
  });
});
