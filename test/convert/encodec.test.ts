import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildEncodecDecodeGraph } from '../../src/convert/encodec/decodeGraph.js';
import { buildEncodecEncodeGraph } from '../../src/convert/encodec/encodeGraph.js';
import { encodecConv1d, encodecConvTranspose1d } from '../../src/convert/encodec/conv.js';
import { addBuffered, bufferedConv1d, bufferedConvTranspose1d, trimMargins, withoutMargins, type Buffered } from '../../src/convert/encodec/margins.js';
import { conv1dPadding, padConv1dInput } from '../../src/convert/encodec/padding.js';
import { MissingTensorError } from '../../src/convert/errors.js';
import { attr, OnnxGraph } from '../../src/convert/graph.js';
import { RandomWeights } from '../../src/convert/randomWeights.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { serializeModel } from '../../src/convert/serialize.js';
import { CheckedWeights, type Tensor, type WeightSource } from '../../src/convert/weights.js';
import { codebooksPerChannel, parseModelConfig, type MusicgenModelConfig } from '../../src/model/modelConfig.js';
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
    expect(err).toBeLessThan(1e-4);
  });
});

/** Codebooks c, c + step, ... of codes [1, B, K, F] as a [1, B, K / step, F] tensor. */
function everyOther(codes: { data: number[]; shape: number[] }, first: number, step: number): ort.Tensor {
  const [, b, k, f] = codes.shape;
  const kept: number[] = [];
  for (let i = 0; i < b; i++) for (let q = first; q < k; q += step) kept.push(...codes.data.slice((i * k + q) * f, (i * k + q + 1) * f));
  return codesTensor(kept, [1, b, k / step, f]);
}

describe.each(MODELS)('EnCodec decode of %s generate() codes (batch 2)', (model) => {
  it('reproduces gen_cfg3.audio_values', async () => {
    const s = await sessions(model);
    const codes = fixtureI64(model, 'gen_cfg3.codes');
    const ref = fixtureF32(model, 'gen_cfg3.audio_values');
    const channels = loadConfig(model).decoder.audioChannels;
    // Stereo interleaves codebooks L0 R0 L1 R1 ...; each channel goes through the mono EnCodec.
    const perChannel = await Promise.all(Array.from({ length: channels }, (_, c) => decode(s, everyOther(codes, c, channels))));
    const [batch, , samples] = ref.shape;
    const got = new Float32Array(batch * channels * samples);
    perChannel.forEach((t, c) => {
      expect(t.dims).toEqual([batch, 1, samples]);
      for (let b = 0; b < batch; b++) got.set((t.data as Float32Array).subarray(b * samples, (b + 1) * samples), (b * channels + c) * samples);
    });
    expect(relL2(got, ref.data)).toBeLessThan(1e-4);
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

  it('decodes the 42-frame continuation codes (prompt + generated) to cont_cfg3.audio_values', async () => {
    const s = await sessions('musicgen-tiny');
    const codes = fixtureI64('musicgen-tiny', 'cont_cfg3.codes');
    const ref = fixtureF32('musicgen-tiny', 'cont_cfg3.audio_values');
    const out = await decode(s, codesTensor(codes.data, codes.shape));
    expect(out.dims).toEqual(ref.shape);
    expect(relL2(out.data as Float32Array, ref.data)).toBeLessThan(1e-4);
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

/**
 * HF EncodecConv1d's time padding, transcribed literally (non-causal): _get_extra_padding_for_conv1d
 * and _pad1d's reflect with the small-input zero fallback, for one channel.
 */
function hfPad(x: number[], kernel: number, stride: number): number[] {
  const total = kernel - stride;
  const nFrames = (x.length - kernel + total) / stride + 1;
  const extra = (Math.ceil(nFrames) - 1) * stride + kernel - total - x.length;
  const right = Math.floor(total / 2) + extra;
  const left = total - Math.floor(total / 2);
  const maxPad = Math.max(left, right);
  const zeros = x.length <= maxPad ? maxPad - x.length + 1 : 0;
  const y = [...x, ...new Array<number>(zeros).fill(0)];
  const reflected = [
    ...Array.from({ length: left }, (_, i) => y[left - i]),
    ...y,
    ...Array.from({ length: right }, (_, i) => y[y.length - 2 - i]),
  ];
  return reflected.slice(0, reflected.length - zeros);
}

describe('EnCodec conv padding', () => {
  it.each([
    [7, 1],
    [3, 1],
    [16, 8],
    [10, 5],
    [8, 4],
  ])('matches HF reflect padding (kernel %i, stride %i) for every short length', async (kernel, stride) => {
    const g = new OnnxGraph('pad');
    const x = g.input('x', 'float32', [1, 2, 'time']);
    const padding = conv1dPadding(kernel, stride, false, 'reflect');
    g.output(padConv1dInput(g, x, 2, padding, 1), 'y', 'float32', [1, 2, 'padded']);
    const session = await ort.InferenceSession.create(serializeModel(g, 'pad.onnx').model);
    for (let length = 1; length <= 20; length++) {
      const rows = [0, 1].map((c) => Array.from({ length }, (_, i) => 100 * c + i + 1));
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(rows.flat()), [1, 2, length]) });
      const expected = rows.map((r) => hfPad(r, kernel, stride));
      expect(out.y.dims).toEqual([1, 2, expected[0].length]);
      expect(Array.from(out.y.data as Float32Array)).toEqual(expected.flat());
    }
  });
});

describe('EnCodec weight-norm key spellings', () => {
  it('decodes the same from parametrizations.weight.original0/1 keys (PyTorch >= 2.1)', async () => {
    const config = loadConfig('musicgen-tiny');
    const inner = openCheckpointWeights(fixtureCheckpointDir('musicgen-tiny'));
    const legacy = (name: string): string =>
      name.replace(/\.parametrizations\.weight\.original0$/, '.weight_g').replace(/\.parametrizations\.weight\.original1$/, '.weight_v');
    const renamed: WeightSource = {
      origin: 'renamed',
      has: (name: string) => !/\.weight_[gv]$/.test(name) && inner.has(legacy(name)),
      read: (name: string, shape: number[]): Tensor => inner.read(legacy(name), shape),
    };
    const graph = buildEncodecDecodeGraph(config.audioEncoder, new CheckedWeights(renamed), 4);
    const session = await ort.InferenceSession.create(serializeModel(graph, 'encodec_decode.onnx').model);
    const codes = fixtureI64('musicgen-tiny', 'encodec.decode.codes');
    const ref = fixtureF32('musicgen-tiny', 'encodec.decode.audio_values');
    const out = await decode({ decode: session, encode: session }, codesTensor(codes.data, codes.shape));
    expect(relL2(out.data as Float32Array, ref.data)).toBeLessThan(1e-4);
  });
});

describe('EnCodec transposed conv', () => {
  it.each([
    [8, 4, false, 1],
    [10, 5, false, 1],
    [16, 8, false, 1],
    [7, 3, false, 1],
    [5, 5, false, 1],
    [10, 4, true, 1],
    [10, 4, true, 0.5],
  ])('polyphase Conv equals ConvTranspose + HF trim (kernel %i, stride %i, causal %s, trim %f)', async (kernel, stride, causal, trim) => {
    const [cin, cout] = [3, 2];
    const config = { ...loadConfig('musicgen-tiny').audioEncoder, useCausalConv: causal, trimRightRatio: trim };
    // Deterministic weights; g = ||v|| makes the folded weight equal v, so the reference can use v.
    const v = Float32Array.from({ length: cin * cout * kernel }, (_, i) => Math.sin(i * 1.3 + 0.2));
    const gNorm = Float32Array.from({ length: cin }, (_, i) => Math.hypot(...v.subarray(i * cout * kernel, (i + 1) * cout * kernel)));
    const bias = Float32Array.from({ length: cout }, (_, i) => 0.1 * (i + 1));
    const tensors: Record<string, Tensor> = {
      't.conv.weight_v': { data: v, shape: [cin, cout, kernel] },
      't.conv.weight_g': { data: gNorm, shape: [cin, 1, 1] },
      't.conv.bias': { data: bias, shape: [cout] },
    };
    const source: WeightSource = { origin: 'synthetic', has: (n) => n in tensors, read: (n) => tensors[n] };

    const g = new OnnxGraph('convtr');
    const x = g.input('x', 'float32', [1, cin, 'time']);
    const ours = encodecConvTranspose1d(g, new CheckedWeights(source), config, { value: x, channels: cin, minLength: 1 }, {
      prefix: 't',
      outChannels: cout,
      kernelSize: kernel,
      stride,
    });
    const total = kernel - stride;
    const right = causal ? Math.ceil(total * trim) : Math.floor(total / 2);
    const reference = g.node('ConvTranspose', [x, g.constF32(v, [cin, cout, kernel]), g.constF32(bias)], {
      kernel_shape: attr.ints([kernel]),
      strides: attr.ints([stride]),
      pads: attr.ints([total - right, right]),
    });
    g.output(ours.value, 'ours', 'float32', [1, cout, 'samples']);
    g.output(reference, 'reference', 'float32', [1, cout, 'samples']);
    const session = await ort.InferenceSession.create(serializeModel(g, 'convtr.onnx').model);
    for (const length of [1, 2, 5, 9]) {
      const input = Float32Array.from({ length: cin * length }, (_, i) => Math.cos(i * 0.7));
      const out = await session.run({ x: new ort.Tensor('float32', input, [1, cin, length]) });
      expect(out.ours.dims).toEqual([1, cout, length * stride]);
      expect(out.ours.dims).toEqual(out.reference.dims);
      expect(relL2(out.ours.data as Float32Array, out.reference.data as Float32Array)).toBeLessThan(1e-6);
    }
  });
});

describe('EnCodec decoder with margins', () => {
  // The decoder graph carries margins from the first transposed conv on (margins.ts); these chains
  // check it against the plain ops (Slice after each transposed conv, Pad before each conv) for
  // the configs HF allows, including signals short enough to take the fallback.
  it.each([
    [4, 2, 1, false, 1, 'reflect'],
    [8, 5, 2, false, 1, 'reflect'],
    [5, 4, 1, false, 1, 'replicate'],
    [4, 4, 2, false, 1, 'constant'],
    [4, 2, 1, true, 1, 'reflect'],
    [4, 3, 2, true, 0.5, 'reflect'],
  ] as const)('matches the plain ops (strides %i, %i, dilation %i, causal %s, trim %f, %s)', async (s1, s2, dilation, causal, trim, padMode) => {
    const config = { ...loadConfig('musicgen-tiny').audioEncoder, useCausalConv: causal, trimRightRatio: trim, padMode };
    const weights = new CheckedWeights(new RandomWeights(7));
    for (const minLength of [1, 2]) {
      const g = new OnnxGraph('margins');
      const x = g.input('x', 'float32', [1, 8, 'time']);
      const convT = (s: number, prefix: string) => ({ prefix, outChannels: 4, kernelSize: 2 * s, stride: s });
      const res = { prefix: 'b', outChannels: 2, kernelSize: 3, dilation };
      const back = { prefix: 'c', outChannels: 4, kernelSize: 1 };
      const last = { prefix: 'f', outChannels: 1, kernelSize: 7 };
      // Plain ops.
      const t1 = encodecConvTranspose1d(g, weights, config, { value: x, channels: 8, minLength }, convT(s1, 'a'));
      const r = encodecConv1d(g, weights, config, { ...t1, value: g.elu(t1.value) }, res);
      const r2 = encodecConv1d(g, weights, config, { ...r, value: g.elu(r.value) }, back);
      const sum = { ...r2, value: g.add(t1.value, r2.value) };
      const t2 = encodecConvTranspose1d(g, weights, config, { ...sum, value: g.elu(sum.value) }, convT(s2, 'e'));
      const plain = encodecConv1d(g, weights, config, { ...t2, value: g.elu(t2.value) }, last).value;
      // With margins.
      const elu = (v: Buffered): Buffered => ({ ...v, value: g.elu(v.value) });
      const b1 = bufferedConvTranspose1d(g, weights, config, withoutMargins({ value: x, channels: 8, minLength }), convT(s1, 'a'));
      const br = bufferedConv1d(g, weights, config, elu(b1), res);
      const br2 = bufferedConv1d(g, weights, config, elu(br), back);
      const bsum = addBuffered(g, b1, br2);
      const b2 = bufferedConvTranspose1d(g, weights, config, elu(bsum), convT(s2, 'e'));
      const buffered = trimMargins(g, bufferedConv1d(g, weights, config, elu(b2), last)).value;
      g.output(plain, 'plain', 'float32', [1, 1, 'samples']);
      g.output(buffered, 'buffered', 'float32', [1, 1, 'samples']);
      const session = await ort.InferenceSession.create(serializeModel(g, 'margins.onnx').model, { intraOpNumThreads: 1 });
      for (const length of [1, 2, 5, 9].filter((n) => n >= minLength)) {
        const input = Float32Array.from({ length: 8 * length }, (_, i) => Math.cos(i * 0.7));
        const out = await session.run({ x: new ort.Tensor('float32', input, [1, 8, length]) });
        expect(out.plain.dims).toEqual([1, 1, length * s1 * s2]);
        expect(out.buffered.dims).toEqual(out.plain.dims);
        expect(relL2(out.buffered.data as Float32Array, out.plain.data as Float32Array)).toBeLessThan(1e-5);
      }
    }
  });
});
