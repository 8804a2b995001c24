import type * as ort from 'onnxruntime-node';
import { Guidance } from './cfg.js';
import { createDecoderState, type DecoderState, type DecoderConditioning } from './decoderState.js';
import { applyDelayPatternMaskAtStep, buildDelayPatternMask, FREE_CELL, firstFreeStep, initialDecoderInputIds, revertDelayPattern } from './delayPattern.js';
import { AbortError } from './errors.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import type { Rng } from './rng.js';
import { TokenSampler, type SamplingParams } from './sampling.js';
import { numDistinctDelays, sequenceLengthForFrames } from '../model/stepCount.js';

/** Per-item settings: sweeps give every item its own sampling, CFG coefficient and seed stream. */
export interface LoopItem {
  sampling: SamplingParams;
  cfgCoef: number;
  rng: Rng;
}

export interface TokenLoopInput {
  config: MusicgenModelConfig;
  decoder: ort.InferenceSession;
  /** The B conditional rows. */
  conditioning: DecoderConditioning;
  /** The B null rows for classifier-free guidance, or null to run without CFG. */
  nullConditioning: DecoderConditioning | null;
  /** Two forwards per step (separate caches) instead of one doubled batch. */
  twoStepCfg: boolean;
  items: LoopItem[];
  /** Frames to return, prompt included. */
  totalFrames: number;
  /** Continuation: known frames [B*K, promptFrames] (row b*K + k), forced into the pattern. */
  promptCodes?: ArrayLike<number>;
  promptFrames?: number;
  progress?: (generated: number, total: number) => void;
  signal?: AbortSignal;
}

export interface TokenLoopResult {
  /** [B, K, totalFrames] row-major, prompt frames first. */
  codes: Int32Array;
  /** The raw delayed sequence [B*K, maxLength] after masking. */
  sequence: Int32Array;
  /** Decoder calls made (the first one included). */
  decoderCalls: number;
}

/** Row-wise concatenation of two conditionings with the same text length and chroma frames. */
function stackConditioning(a: DecoderConditioning, b: DecoderConditioning): DecoderConditioning {
  const mask = new Array<number>(a.encoderMask.length + b.encoderMask.length);
  for (let i = 0; i < a.encoderMask.length; i++) mask[i] = a.encoderMask[i];
  for (let i = 0; i < b.encoderMask.length; i++) mask[a.encoderMask.length + i] = b.encoderMask[i];
  const states = new Float32Array(a.encoderHiddenStates.length + b.encoderHiddenStates.length);
  states.set(a.encoderHiddenStates);
  states.set(b.encoderHiddenStates, a.encoderHiddenStates.length);
  const out: DecoderConditioning = { rows: a.rows + b.rows, encoderHiddenStates: states, encoderLength: a.encoderLength, encoderMask: mask };
  if (a.chroma && b.chroma) {
    const chroma = new Float32Array(a.chroma.data.length + b.chroma.data.length);
    chroma.set(a.chroma.data);
    chroma.set(b.chroma.data, a.chroma.data.length);
    out.chroma = { data: chroma, frames: a.chroma.frames };
  }
  return out;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('generation aborted by the caller (AbortSignal) between decoder steps');
}

/**
 * The autoregressive loop of MusicGen over the delay pattern: one decoder forward per step, CFG on
 * the guided logits, per-row sampling, forced (BOS / pad / prompt) cells never overwritten.
 */
export async function runTokenLoop(input: TokenLoopInput): Promise<TokenLoopResult> {
  const { config, items } = input;
  const B = items.length;
  const K = config.decoder.numCodebooks;
  const V = config.decoder.vocabSize;
  const channels = config.decoder.audioChannels;
  const numDelays = numDistinctDelays(K, channels);
  const maxLength = sequenceLengthForFrames(input.totalFrames, numDelays);
  const shape = { batchSize: B, numCodebooks: K, audioChannels: channels, maxLength };
  const mask = buildDelayPatternMask({
    ...shape,
    specialId: config.decoder.padTokenId,
    promptCodes: input.promptCodes,
    promptFrames: input.promptFrames ?? 0,
  });
  const start = firstFreeStep(mask, maxLength);
  const sequence = Int32Array.from(mask);
  const rows = B * K;
  const total = maxLength - start;

  const cfg = input.nullConditioning;
  const doubled = cfg !== null && !input.twoStepCfg;
  const states: DecoderState[] = [];
  const state = (c: DecoderConditioning): DecoderState => createDecoderState(input.decoder, config, c, maxLength);
  if (cfg === null) states.push(state(input.conditioning));
  else if (doubled) states.push(state(stackConditioning(input.conditioning, cfg)));
  else states.push(state(input.conditioning), state(cfg));
  const guidance = new Guidance(items.map((it) => it.cfgCoef), K, V);
  const sampler = new TokenSampler(V);

  const forward = async (ids: Int32Array, seqLen: number): Promise<Float32Array> => {
    throwIfAborted(input.signal);
    if (cfg === null) return states[0].step(ids, seqLen);
    if (doubled) {
      const both = new Int32Array(ids.length * 2);
      both.set(ids);
      both.set(ids, ids.length);
      return guidance.doubled(await states[0].step(both, seqLen));
    }
    const cond = await states[0].step(ids, seqLen);
    return guidance.twoStep(cond, await states[1].step(ids, seqLen));
  };

  let decoderCalls = 0;
  let scores = await forward(initialDecoderInputIds(mask, shape, start), start);
  decoderCalls++;
  const column = new Int32Array(rows);
  for (let s = start; s < maxLength; s++) {
    // Only the free cells are sampled (each draw advances its item's stream); the pattern's
    // forced cells (special id, prompt codes) then take the mask's value.
    for (let r = 0; r < rows; r++) {
      if (mask[r * maxLength + s] !== FREE_CELL) continue;
      const item = items[Math.floor(r / K)];
      column[r] = sampler.sample(scores, item.sampling, item.rng, r * V);
    }
    applyDelayPatternMaskAtStep(column, mask, maxLength, s);
    for (let r = 0; r < rows; r++) sequence[r * maxLength + s] = column[r];
    input.progress?.(s - start + 1, total);
    if (s + 1 < maxLength) {
      scores = await forward(column, 1);
      decoderCalls++;
    }
  }
  return { codes: revertDelayPattern(sequence, shape), sequence, decoderCalls };
}
