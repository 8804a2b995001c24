import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildEncodecDecodeGraph } from '../../src/convert/encodec/decodeGraph.js';
import { buildEncodecEncodeGraph } from '../../src/convert/encodec/encodeGraph.js';
import { MissingTensorError } from '../../src/convert/errors.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { serializeModel } from '../../src/convert/serialize.js';
import { CheckedWeights, type Tensor, type WeightSource } from '../../src/convert/weights.js';
import { codebooksPerChannel, parseModelConfig, type MusicgenModelConfig } from '../../src/inference/modelConfig.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2, type FixtureModel } from '../helpers/fixtures.js';

const MODELS: FixtureModel[] = ['musicgen-tiny', 'musicgen-stereo-tiny', 'musicgen-melody-tiny'];

function loadConfig(model: FixtureModel): MusicgenModelConfig {
  return parseModelConfig(JSON.parse(readFileSync(join(fixtureCheckpointDir(model), 'config.json'), 'utf8')));
}

interface Sessions {
  decode: ort.InferenceSession;
  encode: ort.InferenceSession;
}

const sessionCache = new Map<FixtureModel, Promise<Sessions>>();

function sessions(model: FixtureModel): Promise<Sessions> {
  let s = sessionCache.get(model);
  if (!s) {
    s = (async () => {
      const config = loadConfig(model);
      const weights = new CheckedWeights(openCheckpointWeights(fixtureCheckpointDir(model)));
      const k = codebooksPerChannel(config);
      const opts = { intraOpNumThreads: 1 };
      const decode = await ort.InferenceSession.create(
        serializeModel(buildEncodecDecodeGraph(config.audioEncoder, weights, k), 'encodec_decode.onnx').model,
        opts,
      );
      const encode = await ort.InferenceSession.create(
        serializeModel(buildEncodecEncodeGraph(config.audioEncoder, weights, k), 'encodec_encode.onnx').model,
        opts,
      );
      return { decode, encode };
    })();
    sessionCache.set(model, s);
  }
  return s;
}

function codesTensor(data: ArrayLike<number>, shape: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(data), (v) => BigInt(v)), shape);
}

async function decode(s: Sessions, codes: ort.Tensor): Promise<ort.Tensor> {
  return (await s.decode.run({ audio_codes: codes })).audio_values;
}

async function encode(s: Sessions, audio: Float32Array, shape: number[]): Promise<ort.Tensor> {
  return (await s.encode.run({ input_values: new ort.Tensor('float32', audio, shape) })).audio_codes;
}

function asNumbers(t: ort.Tensor): number[] {
  return Array.from(t.data as BigInt64Array, Number);
}

describe.each(MODELS)('EnCodec graphs of %s', (model) => {
  it('decode matches HF audio_values', async () => {
    const s = await sessions(model);
    const codes = fixtureI64(model, 'encodec.decode.codes');
    const ref = fixtureF32(model, 'encodec.decode.audio_values');
    const out = await decode(s, codesTensor(codes.data, codes.shape));
    expect(out.dims).toEqual(ref.shape);
    const err = relL2(out.data as Float32Array, ref.data);
    console.log(`${model} decode relL2 ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });

  it('encode matches HF audio_codes exactly', async () => {
    const s = await sessions(model);
    const input = fixtureF32(model, 'encodec.encode.input_values');
    const ref = fixtureI64(model, 'encodec.encode.audio_codes');
    const out = await encode(s, input.data, input.shape);
    expect(out.dims).toEqual(ref.shape);
    expect(asNumbers(out)).toEqual(ref.data);
  });

  it('encode then decode matches HF round trip', async () => {
    const s = await sessions(model);
    const input = fixtureF32(model, 'encodec.encode.input_values');
    const ref = fixtureF32(model, 'encodec.roundtrip.audio_values');
    const out = await decode(s, await encode(s, input.data, input.shape));
    expect(out.dims).toEqual(ref.shape);
    const err = relL2(out.data as Float32Array, ref.data);
    console.log(`${model} roundtrip relL2 ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });
});

describe('EnCodec graphs: shapes and errors', () => {
  it('encodes the 0.5 s continuation prompt (batch 2) to the HF prompt codes', async () => {
    const s = await sessions('musicgen-tiny');
    const prompt = fixtureF32('musicgen-tiny', 'cont.prompt_audio');
    const ref = fixtureI64('musicgen-tiny', 'cont.prompt_codes');
    const twice = new Float32Array(prompt.data.length * 2);
    twice.set(prompt.data, 0);
    twice.set(prompt.data, prompt.data.length);
    const out = await encode(s, twice, [2, 1, prompt.data.length]);
    expect(out.dims).toEqual(ref.shape);
    expect(asNumbers(out)).toEqual(ref.data);
  });

  it('runs on any length, including inputs shorter than the reflect padding', async () => {
    const s = await sessions('musicgen-tiny');
    for (const frames of [1, 2, 3, 4, 7]) {
      const codes = Array.from({ length: 2 * 4 * frames }, (_, i) => (i * 37) % 64);
      const out = await decode(s, codesTensor(codes, [1, 2, 4, frames]));
      expect(out.dims).toEqual([2, 1, frames * 640]);
      expect((out.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    for (const samples of [1, 5, 639, 640, 641, 3000]) {
      const audio = Float32Array.from({ length: samples }, (_, i) => Math.sin(i * 0.05));
      const out = await encode(s, audio, [1, 1, samples]);
      expect(out.dims).toEqual([1, 1, 4, Math.ceil(samples / 640)]);
    }
  });

  it('names a missing EnCodec tensor', () => {
    const config = loadConfig('musicgen-tiny');
    const inner = openCheckpointWeights(fixtureCheckpointDir('musicgen-tiny'));
    const hideOne = (hidden: string): WeightSource => ({
      origin: inner.origin,
      has: (name: string) => name !== hidden && inner.has(name),
      read: (name: string, shape: number[]): Tensor => inner.read(name, shape),
    });
    for (const [hidden, build] of [
      ['audio_encoder.decoder.layers.1.lstm.weight_hh_l1', buildEncodecDecodeGraph],
      ['audio_encoder.encoder.layers.3.conv.weight_v', buildEncodecEncodeGraph],
      ['audio_encoder.quantizer.layers.2.codebook.embed', buildEncodecEncodeGraph],
    ] as const) {
      const weights = new CheckedWeights(hideOne(hidden));
      expect(() => build(config.audioEncoder, weights, 4)).toThrow(MissingTensorError);
      expect(() => build(config.audioEncoder, weights, 4)).toThrow(hidden);
    }
  });
});
