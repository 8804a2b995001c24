import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PAST_LENGTH_INPUT, type DecoderLayout } from '../model/decoderLayout.js';
import type { EncodecDecodeSessions } from './audioCodec.js';
import { GraphMismatchError } from './errors.js';
import type { EncodecDecodeFiles } from '../model/modelFiles.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

export interface SessionOptions {
  /** Intra-op threads; onnxruntime-node otherwise stays on one thread here (~1.7x slower). */
  threads?: number;
  /**
   * onnxruntime's memory pattern (default on). Off for EnCodec: its plan for one input length
   * is a second block beside the arena's first-run chunks (10 s decoded twice: +0.55 GiB of RSS
   * that stays), and its runs change length from chunk to chunk anyway.
   */
  memPattern?: boolean;
  /**
   * onnxruntime's weight prepacking (default on): MatMul weights copied into the GEMM kernel's
   * panel layout when the session opens. Off for the T5 text encoder (textEncoderSession.ts).
   */
  prepack?: boolean;
}

export async function createSession(path: string, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const threads = opts.threads ?? Math.max(1, availableParallelism());
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    enableMemPattern: opts.memPattern ?? true,
    ...(opts.prepack === false ? { extra: { session: { disable_prepacking: '1' } } } : {}),
  });
}

/**
 * Opens a graph and checks its inputs and outputs with `check`; a graph that fails the check is
 * released before the error propagates, so a bad folder does not keep its weights in memory.
 */
export async function createCheckedSession(
  path: string,
  check: (file: string, session: ort.InferenceSession) => void,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const session = await createSession(path, opts);
  try {
    check(path, session);
  } catch (e) {
    await session.release();
    throw e;
  }
  return session;
}

/** Opens and checks the EnCodec decode graph(s) of a folder. */
export async function loadEncodecDecode(files: EncodecDecodeFiles, threads?: number): Promise<EncodecDecodeSessions> {
  const opts = { threads, memPattern: false };
  if (files.kind === 'whole') return { kind: 'whole', session: await createCheckedSession(files.graph, checkEncodecDecodeGraph, opts) };
  const [frames, upsample] = await Promise.all([
    createCheckedSession(files.frames, checkEncodecDecodeFramesGraph, opts),
    createCheckedSession(files.upsample, checkEncodecDecodeUpsampleGraph, opts),
  ]);
  return { kind: 'split', frames, upsample };
}

function expectNames(file: string, kind: 'input' | 'output', actual: readonly string[], expected: string[], why: string): void {
  const have = new Set(actual);
  const missing = expected.filter((n) => !have.has(n));
  if (missing.length) {
    throw new GraphMismatchError(
      `${basename(file)}: graph ${kind}s lack ${missing.slice(0, 4).map((m) => `"${m}"`).join(', ')}${missing.length > 4 ? ` (+${missing.length - 4} more)` : ''}; ${why}`,
    );
  }
}

/** Inputs and outputs the decoder must have for this config (docs/MODEL_FORMAT.md). */
export function checkDecoderGraph(file: string, session: ort.InferenceSession, config: MusicgenModelConfig, layout: DecoderLayout = 'merged'): void {
  const layers = config.decoder.numLayers;
  const melody = config.melody !== null;
  const inputs = ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask', 'use_cache_branch'];
  if (layout === 'kvbuffer') inputs.push(PAST_LENGTH_INPUT);
  else if (session.inputNames.includes(PAST_LENGTH_INPUT)) {
    throw new GraphMismatchError(`${basename(file)}: graph takes "${PAST_LENGTH_INPUT}" (the kvbuffer layout) but is named as decoder_model_merged`);
  }
  if (melody) inputs.push('input_features');
  const outputs = ['logits'];
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      inputs.push(`past_key_values.${i}.decoder.${kv}`);
      outputs.push(`present.${i}.decoder.${kv}`);
      if (!melody) {
        inputs.push(`past_key_values.${i}.encoder.${kv}`);
        outputs.push(`present.${i}.encoder.${kv}`);
      }
    }
  }
  const why = `config.json says decoder.num_hidden_layers = ${layers}${melody ? ' (musicgen_melody: input_features, no cross-attention cache)' : ''}`;
  expectNames(file, 'input', session.inputNames, inputs, why);
  expectNames(file, 'output', session.outputNames, outputs, why);
  const extra = session.inputNames.find((n) => n.startsWith(`past_key_values.${layers}.`));
  if (extra) throw new GraphMismatchError(`${basename(file)}: graph has cache input "${extra}" beyond ${why}`);
  if (!melody && session.inputNames.includes('input_features')) {
    throw new GraphMismatchError(`${basename(file)}: graph takes input_features (a melody decoder) but config.json model_type is "musicgen"`);
  }
}

export function checkTextEncoderGraph(file: string, session: ort.InferenceSession): void {
  const why = 'expected the T5 encoder of transformers.js (input_ids, attention_mask -> last_hidden_state)';
  expectNames(file, 'input', session.inputNames, ['input_ids', 'attention_mask'], why);
  expectNames(file, 'output', session.outputNames, ['last_hidden_state'], why);
}

export function checkEncodecDecodeGraph(file: string, session: ort.InferenceSession): void {
  const why = 'expected EnCodec decode (audio_codes -> audio_values)';
  expectNames(file, 'input', session.inputNames, ['audio_codes'], why);
  expectNames(file, 'output', session.outputNames, ['audio_values'], why);
}

export function checkEncodecDecodeFramesGraph(file: string, session: ort.InferenceSession): void {
  const why = 'expected the frame-rate half of EnCodec decode (audio_codes -> decoder_frames)';
  expectNames(file, 'input', session.inputNames, ['audio_codes'], why);
  expectNames(file, 'output', session.outputNames, ['decoder_frames'], why);
}

export function checkEncodecDecodeUpsampleGraph(file: string, session: ort.InferenceSession): void {
  const why = 'expected the sample-rate half of EnCodec decode (decoder_frames -> audio_values)';
  expectNames(file, 'input', session.inputNames, ['decoder_frames'], why);
  expectNames(file, 'output', session.outputNames, ['audio_values'], why);
}

export function checkEncodecEncodeGraph(file: string, session: ort.InferenceSession): void {
  const why = 'expected EnCodec encode (input_values -> audio_codes)';
  expectNames(file, 'input', session.inputNames, ['input_values'], why);
  expectNames(file, 'output', session.outputNames, ['audio_codes'], why);
}
