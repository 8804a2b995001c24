import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildEncodecDecodeFramesGraph, buildEncodecDecodeGraph, buildEncodecDecodeUpsampleGraph } from '../../src/convert/encodec/index.js';
import { presetConfig } from '../../src/convert/presets.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { serializeModel } from '../../src/convert/serialize.js';
import { CheckedWeights } from '../../src/convert/weights.js';
import { AudioCodec, type EncodecDecodeSessions } from '../../src/inference/audioCodec.js';
import { planCodecChunks, upsampleContextFrames } from '../../src/inference/codecChunks.js';
import { codebooksPerChannel, parseModelConfig, type MusicgenModelConfig } from '../../src/model/modelConfig.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2, type FixtureModel } from '../helpers/fixtures.js';

function loadConfig(model: FixtureModel): MusicgenModelConfig {
  return parseModelConfig(JSON.parse(readFileSync(join(fixtureCheckpointDir(model), 'config.json'), 'utf8')));
}

async function codecSessions(model: FixtureModel): Promise<{ whole: EncodecDecodeSessions; split: EncodecDecodeSessions & { kind: 'split' } }> {
  const config = loadConfig(model);
  const weights = new CheckedWeights(openCheckpointWeights(fixtureCheckpointDir(model)));
  const k = codebooksPerChannel(config);
  const open = (bytes: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const e = config.audioEncoder;
  return {
    whole: { kind: 'whole', session: await open(serializeModel(buildEncodecDecodeGraph(e, weights, k), 'encodec_decode.onnx').model) },
    split: {
      kind: 'split',
      frames: await open(serializeModel(buildEncodecDecodeFramesGraph(e, weights, k), 'encodec_decode_frames.onnx').model),
      upsample: await open(serializeModel(buildEncodecDecodeUpsampleGraph(e, weights), 'encodec_decode_upsample.onnx').model),
    },
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** [batch][channel] -> [batch, channel, samples] as one array (the fixtures' layout). */
function flatten(audio: Float32Array[][]): Float32Array {
  const parts = audio.flat();
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('codec chunk plan', () => {
  it("needs 2 frames of context for musicgen's 32 kHz EnCodec", () => {
    expect(upsampleContextFrames(parseModelConfig(presetConfig('small', 0)).audioEncoder)).toBe(2);
  });

  it('keeps every frame exactly once and reads context clipped at the ends', () => {
    for (const [frames, chunk, context] of [[17, 4, 5], [500, 100, 5], [3, 10, 5], [101, 100, 0]] as const) {
      const plan = planCodecChunks(frames, chunk, context);
      const kept = plan.flatMap((c) => Array.from({ length: c.keepEnd - c.keepStart }, (_, i) => c.keepStart + i));
      expect(kept).toEqual(Array.from({ length: frames }, (_, i) => i));
      for (const c of plan) {
        expect(c.keepEnd - c.keepStart).toBeLessThanOrEqual(chunk);
        expect(c.inputStart).toBe(Math.max(0, c.keepStart - context));
        expect(c.inputEnd).toBe(Math.min(frames, c.keepEnd + context));
      }
    }
    expect(planCodecChunks(17, 100, 5)).toEqual([{ inputStart: 0, inputEnd: 17, keepStart: 0, keepEnd: 17 }]);
    expect(() => planCodecChunks(17, 0, 5)).toThrow(RangeError);
  });
});

describe.each(['musicgen-tiny', 'musicgen-stereo-tiny', 'musicgen-melody-tiny'] as FixtureModel[])('chunked EnCodec decode of %s', (model) => {
  it('gives HF generate() audio and the one-graph decode, for any chunk size', async () => {
    const config = loadConfig(model);
    const s = await codecSessions(model);
    const codes = fixtureI64(model, 'gen_cfg3.codes'); // [1, 2, K, 17]
    const ref = fixtureF32(model, 'gen_cfg3.audio_values');
    const [, batch, , frames] = codes.shape;
    const whole = flatten(await new AudioCodec(config, s.whole, null).decode(codes.data, batch, frames));
    expect(relL2(whole, ref.data)).toBeLessThan(1e-4);
    // 1 and 3 frame-rows: one row and a few frames per run (many seams); 1000: one run.
    for (const budget of [1, 3, 8, 1000]) {
      const chunked = flatten(await new AudioCodec(config, s.split, null, budget).decode(codes.data, batch, frames));
      expect(relL2(chunked, ref.data)).toBeLessThan(1e-4);
      expect(maxAbsDiff(chunked, whole)).toBeLessThan(1e-5);
    }
  });
});

describe('chunked EnCodec decode without context', () => {
  it('differs at the seams (so the test above can fail)', async () => {
    const s = await codecSessions('musicgen-tiny');
    const config = loadConfig('musicgen-tiny');
    const codes = fixtureI64('musicgen-tiny', 'encodec.decode.codes'); // [1, 1, 4, 25]
    const frames = codes.shape[3];
    const hop = config.audioEncoder.hopLength;
    const whole = flatten(await new AudioCodec(config, s.whole, null).decode(codes.data, 1, frames));
    const hidden = (await s.split.frames.run({ audio_codes: new ort.Tensor('int64', BigInt64Array.from(codes.data, BigInt), codes.shape) }))
      .decoder_frames as ort.Tensor;
    const channels = hidden.dims[1];
    const h = hidden.data as Float32Array;
    const naive = new Float32Array(frames * hop);
    for (const c of planCodecChunks(frames, 5, 0)) {
      const n = c.keepEnd - c.keepStart;
      const window = new Float32Array(channels * n);
      for (let ch = 0; ch < channels; ch++) window.set(h.subarray(ch * frames + c.keepStart, ch * frames + c.keepEnd), ch * n);
      const out = await s.split.upsample.run({ decoder_frames: new ort.Tensor('float32', window, [1, channels, n]) });
      naive.set(out.audio_values.data as Float32Array, c.keepStart * hop);
    }
    expect(maxAbsDiff(naive, whole)).toBeGreaterThan(1e-3);
  });
});

describe('codecChunkFrameRows', () => {
  it('rejects a non-positive or fractional budget before loading anything, naming the option', async () => {
    const { MusicGen } = await import('../../src/inference/musicgen.js');
    const { LoadOptionError } = await import('../../src/inference/errors.js');
    for (const bad of [0, -5, 2.5, Number.NaN]) {
      await expect(MusicGen.load('/nonexistent-folder', { codecChunkFrameRows: bad })).rejects.toThrow(LoadOptionError);
    }
    await expect(MusicGen.load('/nonexistent-folder', { codecChunkFrameRows: 0 })).rejects.toThrow(/codecChunkFrameRows must be a positive integer/);
  });
});
