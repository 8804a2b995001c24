/**
 * The one path of every generation (docs/ARCHITECTURE.md, "One generate call"), as AudioCraft's
 * genmodel.py: prepareGeneration (_prepare_tokens_and_attributes: params, text, melody, prompt),
 * generateTokens (_generate_tokens: the windows of the token loop), then EnCodec (generate_audio).
 * MusicGen's generate* methods, the CLI, the app worker, sweeps and the queue all come through
 * runGeneration with a GenerationRequest.
 */

import { randomInt } from 'node:crypto';
import type * as ort from 'onnxruntime-node';
import type { AudioCodec } from './audioCodec.js';
import { usesCfg } from './cfg.js';
import { encodeText, nullRowsOf, tokenizeText, type Condition, type TextConditioner } from './conditioning.js';
import { AbortError, GenerationInputError } from './errors.js';
import { resolveGenerationParams, type ResolvedGenerationParams } from './generationParams.js';
import type { GenerationRequest, ItemSettings, RequestResult } from './generationRequest.js';
import { MelodyConditioner } from './melodyConditioning.js';
import { Rng } from './rng.js';
import { runTokenLoop, type LoopItem } from './tokenLoop.js';
import { windowSchedule, type GenerationWindow } from './windowSchedule.js';
import { interruptible } from '../kernelInterrupt.js';
import { MAX_DURATION } from '../model/contextLength.js';
import { MissingModelFileError } from '../model/errors.js';
import type { ModelFiles } from '../model/modelFiles.js';
import { decoderStepsForFrames, numDistinctDelays } from '../model/stepCount.js';
import { convertAudio } from '../audio/convertAudio.js';
import { JULIUS_RESAMPLE } from '../audio/resample.js';

/** What the pipeline needs of a loaded model (MusicGen gives it). */
export interface PipelineModel extends TextConditioner {
  files: ModelFiles;
  codec: AudioCodec;
  /** The current params (setGenerationParams), the base of each request's. */
  params: ResolvedGenerationParams;
  /** The decoder session (opened at the first call when the text encoder is released). */
  decoder(): Promise<{ session: ort.InferenceSession; openMs: number }>;
}

/** A request made ready for the token loop: what the model is conditioned on, per window. */
export interface PreparedGeneration {
  /** The params of the call, validated once. */
  params: ResolvedGenerationParams;
  /** The call's seed (drawn when none was given). */
  seed: number;
  /** Items B. */
  batch: number;
  condition: Condition;
  /** Melody models with melodies: the chroma each window is conditioned on. */
  melody: MelodyConditioner | null;
  /** Continuation: the prompt's codes [B, K, frames]. */
  prompt: { codes: Int32Array; frames: number } | null;
  /** Per-item settings (the request's `items`), or null: every item runs with `params`. */
  items: ItemSettings[] | null;
  /** The long-form schedule (one window up to 30 s). */
  windows: GenerationWindow[];
  /** Time spent encoding the text (and reading melodies), opening the encoder included. */
  textEncoderMs: number;
}

function count(given: Array<[string, number | undefined]>): number {
  const known = given.filter((g): g is [string, number] => g[1] !== undefined);
  if (known.length === 0) throw new GenerationInputError('a generation needs text, a melody, an audio prompt or a number of samples');
  const [name0, n0] = known[0];
  for (const [name, n] of known.slice(1)) {
    if (n !== n0) throw new GenerationInputError(`got ${n0} ${name0} but ${n} ${name}; give one per item`);
  }
  return n0;
}

async function encodePrompts(model: PipelineModel, prompt: NonNullable<GenerationRequest['prompt']>): Promise<{ codes: Int32Array; frames: number }> {
  const prompts = prompt.audio;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new GenerationInputError('continuation needs one audio prompt per item');
  if (!model.files.encodecEncode) {
    throw new MissingModelFileError(`${model.dir}: continuation needs onnx/encodec_encode.onnx; convert the checkpoint with musicgen convert to get it`);
  }
  const K = model.config.decoder.numCodebooks;
  const encoded: Int32Array[] = [];
  let frames = -1;
  for (const [i, p] of prompts.entries()) {
    if (!Array.isArray(p) || p.length === 0 || p[0].length === 0) throw new GenerationInputError(`prompt ${i} is empty`);
    // julius' kernel, as AudioCraft's generate_continuation (convert_audio) feeds EnCodec.
    const audio = convertAudio(p, prompt.sampleRate, model.config.audioEncoder.samplingRate, model.config.decoder.audioChannels, JULIUS_RESAMPLE);
    const { codes, frames: f } = await model.codec.encode(audio);
    if (frames >= 0 && f !== frames) {
      throw new GenerationInputError(`prompt ${i} encodes to ${f} frames but prompt 0 to ${frames}; give prompts of the same length`);
    }
    frames = f;
    encoded.push(codes);
  }
  const codes = new Int32Array(prompts.length * K * frames);
  encoded.forEach((c, b) => codes.set(c, b * K * frames));
  return { codes, frames };
}

/** AudioCraft's _prepare_tokens_and_attributes: everything the token loop is conditioned on. */
export async function prepareGeneration(model: PipelineModel, request: GenerationRequest): Promise<PreparedGeneration> {
  const frameRate = model.config.audioEncoder.frameRate;
  // Windows make any duration possible; the 30 s limit applies per window only.
  const params = resolveGenerationParams(request.params ?? {}, { base: model.params, maxDuration: MAX_DURATION, frameRate });
  const seed = params.seed ?? randomInt(0, 2 ** 31);
  const items =
    request.items?.map((item, i): ItemSettings => {
      const p = resolveGenerationParams(item, { base: params, maxDuration: MAX_DURATION, frameRate });
      const itemSeed = item.seed ?? request.params?.seed ?? randomInt(0, 2 ** 31);
      if (!Number.isSafeInteger(itemSeed)) throw new GenerationInputError(`item ${i}: seed must be a safe integer`);
      return { useSampling: p.useSampling, topK: p.topK, topP: p.topP, temperature: p.temperature, cfgCoef: p.cfgCoef, seed: itemSeed };
    }) ?? null;
  if (items && items.length === 0) throw new GenerationInputError('a batch needs at least one item');
  if (request.samples !== undefined && (!Number.isSafeInteger(request.samples) || request.samples < 1)) {
    throw new GenerationInputError(`samples must be a positive number of items (got ${request.samples})`);
  }
  const text = request.text === undefined || request.text === null ? null : tokenizeText(model, request.text);
  const melodyCount = request.melody ? ('chroma' in request.melody ? request.melody.chroma : request.melody.audio).length : undefined;
  if (melodyCount === 0) throw new GenerationInputError('melody conditioning needs one melody (or null) per item');
  const batch = count([
    ['descriptions', text?.rows],
    ['melodies', melodyCount],
    ['prompts', request.prompt?.audio.length],
    ['item settings', items?.length],
    ['samples', request.samples],
  ]);
  const prompt = request.prompt ? await encodePrompts(model, request.prompt) : null;
  const t0 = performance.now();
  const condition = await encodeText(model, batch, text?.tokens ?? null);
  const melody = request.melody ? MelodyConditioner.of(model.config.melody, request.melody, `${model.dir} is a "${model.config.modelType}" model`) : null;
  const textEncoderMs = performance.now() - t0;
  const promptFrames = prompt?.frames ?? 0;
  if (promptFrames > params.frames) {
    throw new GenerationInputError(
      `the audio prompt is ${promptFrames} frames (${(promptFrames / frameRate).toFixed(2)} s) but only ${params.frames} frames were asked for; the duration counts the prompt, so ask for more`,
    );
  }
  const windows = windowSchedule(params.frames, { frameRate, maxDuration: MAX_DURATION, extendStride: params.extendStride, promptFrames });
  return {
    params,
    seed,
    batch,
    condition: { ...condition, empty: condition.empty && !melody?.hasMelody },
    melody,
    prompt,
    items,
    windows,
    textEncoderMs,
  };
}

/** AudioCraft's _generate_tokens: the token loop over each window; codes [B, K, frames]. */
export async function generateTokens(
  model: PipelineModel,
  prepared: PreparedGeneration,
  opts: Pick<GenerationRequest, 'signal' | 'progress'>,
): Promise<{ codes: Int32Array; decoderCalls: number; decoderMs: number; openMs: number }> {
  const { params, seed, condition, windows } = prepared;
  const { session: decoder, openMs } = await model.decoder();
  const config = model.config;
  const B = prepared.batch;
  const K = config.decoder.numCodebooks;
  const sampling = { useSampling: params.useSampling, topK: params.topK, topP: params.topP, temperature: params.temperature };
  // Items of one call share the seed (item b draws from stream (seed, b)); per-item settings carry
  // their own seed and draw from (seed, 0), exactly as when generated alone.
  const items: LoopItem[] = prepared.items
    ? prepared.items.map((it) => ({
        sampling: { useSampling: it.useSampling, topK: it.topK, topP: it.topP, temperature: it.temperature },
        cfgCoef: it.cfgCoef,
        rng: Rng.derive(it.seed, 0),
      }))
    : Array.from({ length: B }, (_, b) => ({ sampling, cfgCoef: params.cfgCoef, rng: Rng.derive(seed, b) }));
  const cfg = usesCfg(items.map((it) => it.cfgCoef), !condition.empty);
  const numDelays = numDistinctDelays(K, config.decoder.audioChannels);
  const stepsOf = (w: GenerationWindow): number => decoderStepsForFrames(w.totalFrames, numDelays, w.promptFrames);
  const totalSteps = windows.reduce((a, w) => a + stepsOf(w), 0);
  const frames = params.frames;
  const output = new Int32Array(B * K * frames);
  const promptFrames = prepared.prompt?.frames ?? 0;
  if (prepared.prompt) {
    for (let r = 0; r < B * K; r++) output.set(prepared.prompt.codes.subarray(r * promptFrames, (r + 1) * promptFrames), r * frames);
  }
  let doneSteps = 0;
  let decoderCalls = 0;
  const t0 = performance.now();
  for (const w of windows) {
    let promptCodes: Int32Array | undefined;
    if (w.promptFrames > 0) {
      // The window's leading frames: the audio prompt (window 0) or the end of the last window.
      promptCodes = new Int32Array(B * K * w.promptFrames);
      for (let r = 0; r < B * K; r++) {
        const from = r * frames + w.startFrame;
        promptCodes.set(output.subarray(from, from + w.promptFrames), r * w.promptFrames);
      }
    }
    let conditioning = condition.conditioning;
    if (prepared.melody) {
      conditioning = { ...conditioning, chroma: { data: prepared.melody.chromaForWindow(windows.length > 1 ? w : null), frames: config.melody!.chromaLength } };
    }
    const result = await runTokenLoop({
      config,
      decoder,
      conditioning,
      nullConditioning: cfg ? nullRowsOf(config, conditioning) : null,
      twoStepCfg: params.twoStepCfg,
      items,
      totalFrames: w.totalFrames,
      promptCodes,
      promptFrames: w.promptFrames,
      signal: opts.signal,
      progress: (done) => opts.progress?.(doneSteps + done, totalSteps),
    });
    doneSteps += stepsOf(w);
    decoderCalls += result.decoderCalls;
    for (let r = 0; r < B * K; r++) {
      const src = result.codes.subarray(r * w.totalFrames + w.promptFrames, (r + 1) * w.totalFrames);
      output.set(src, r * frames + w.startFrame + w.promptFrames);
    }
  }
  return { codes: output, decoderCalls, decoderMs: performance.now() - t0, openMs };
}

/**
 * A full GC where node exposes one (the `musicgen` command and the notebook kernel run node with
 * --expose-gc). Between the token loop and EnCodec the KV cache (0.19 GiB for 10 s at
 * musicgen-small, 3x that for 30 s) is garbage that V8 has not collected yet; EnCodec's
 * activations would otherwise stack on top of it (q8: peak RSS 1.34 -> 1.26 GiB).
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function generate(model: PipelineModel, request: GenerationRequest): Promise<RequestResult> {
  const prepared = await prepareGeneration(model, request);
  const { codes: output, decoderCalls, decoderMs, openMs } = await generateTokens(model, prepared, request);
  const B = prepared.batch;
  const K = model.config.decoder.numCodebooks;
  const frames = prepared.params.frames;
  const t1 = performance.now();
  collectGarbage();
  const audio = await model.codec.decode(output, B, frames);
  const codecMs = performance.now() - t1;
  const codes = Array.from({ length: B }, (_, b) => Array.from({ length: K }, (_, k) => output.slice((b * K + k) * frames, (b * K + k + 1) * frames)));
  const conditionOpenMs = prepared.condition.openMs ?? 0;
  const result: RequestResult = {
    codes,
    audio,
    sampleRate: model.config.audioEncoder.samplingRate,
    frames,
    params: { ...prepared.params, seed: prepared.seed },
    timings: { openMs: conditionOpenMs + openMs, textEncoderMs: prepared.textEncoderMs - conditionOpenMs, decoderMs, codecMs, decoderCalls },
  };
  if (prepared.items) result.items = prepared.items;
  return result;
}

/**
 * Runs one request end to end, under the notebook kernel's interrupt too (src/kernelInterrupt.ts);
 * an AbortError says at which step it stopped.
 */
export async function runGeneration(model: PipelineModel, request: GenerationRequest): Promise<RequestResult> {
  const interrupt = interruptible(request.signal);
  let at = { step: 0, total: 0 };
  const stopped = (): AbortError =>
    new AbortError(at.total > 0 ? `generation interrupted at step ${at.step} of ${at.total}` : 'generation interrupted before its first decoder step');
  const progress = (step: number, total: number): void => {
    at = { step, total };
    request.progress?.(step, total);
  };
  try {
    const result = await generate(model, { ...request, signal: interrupt.signal, progress });
    // Aborted during EnCodec (after the last step): the interrupted cell must still stop here.
    if (interrupt.signal?.aborted) throw stopped();
    return result;
  } catch (err) {
    if (err instanceof AbortError && interrupt.signal?.aborted) throw stopped();
    throw err;
  } finally {
    interrupt.close();
  }
}
