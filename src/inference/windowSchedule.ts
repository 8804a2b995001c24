/**
 * The long-form schedule (docs/ARCHITECTURE.md), as AudioCraft's MusicGen._generate_tokens: beyond
 * maxDuration (30 s) the output is generated in windows of at most maxDuration; each window after
 * the first starts `extendStride` seconds after the previous one and takes the previous window's
 * tokens from that point on (its last maxDuration - extendStride seconds) as its prompt. Text
 * conditions repeat; a melody is read from each window's own start time, looping.
 *
 * Everything is counted in frames (AudioCraft converts seconds with int(seconds * frame_rate) at
 * each window; integer frames give the same windows without float drift).
 */

import { MusicgenError } from '../errors.js';
import { contextFrames, framesForDuration, MAX_DURATION } from '../model/contextLength.js';

/** Thrown when a continuation prompt cannot fit the first window or the requested output. */
export class PromptTooLongError extends MusicgenError {}

/** Thrown for invalid schedule arguments. */
export class InvalidScheduleError extends MusicgenError {}

export interface GenerationWindow {
  /** 0-based window number. */
  index: number;
  /** Output frame at which this window's first token (prompt included) sits. */
  startFrame: number;
  /** startFrame in seconds: the offset a melody is read from (before looping). */
  startTime: number;
  /** Leading frames of the window given as prompt (the audio prompt for window 0). */
  promptFrames: number;
  /** Frames this window generates and appends to the output. */
  newFrames: number;
  /** promptFrames + newFrames: the window's length, at most maxDuration * frameRate. */
  totalFrames: number;
}

export interface WindowScheduleOptions {
  /** Frames per second (MusicGen: 50). */
  frameRate?: number;
  /** Longest window in seconds (MusicGen: 30). */
  maxDuration?: number;
  /** Seconds between window starts (AudioCraft default 18). */
  extendStride?: number;
  /** Frames of an audio prompt (continuation) at the start of the output. */
  promptFrames?: number;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidScheduleError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * Windows that produce `totalFrames` output frames (prompt included). The sum of promptFrames of
 * window 0 and newFrames of all windows is totalFrames. Up to maxDuration there is one window.
 */
export function windowSchedule(totalFrames: number, options: WindowScheduleOptions = {}): GenerationWindow[] {
  const frameRate = options.frameRate ?? 50;
  const maxDuration = options.maxDuration ?? MAX_DURATION;
  const extendStride = options.extendStride ?? 18;
  const prompt = options.promptFrames ?? 0;
  checkInteger('totalFrames', totalFrames, 1);
  checkInteger('promptFrames', prompt, 0);
  if (!(frameRate > 0) || !(maxDuration > 0) || !Number.isFinite(frameRate) || !Number.isFinite(maxDuration)) {
    throw new InvalidScheduleError(`frameRate (${frameRate}) and maxDuration (${maxDuration}) must be positive`);
  }
  const maxFrames = contextFrames(frameRate, maxDuration);
  const strideFrames = framesForDuration(extendStride, frameRate);
  if (!(strideFrames >= 1 && strideFrames < maxFrames)) {
    throw new InvalidScheduleError(
      `extendStride must be in (0, ${maxDuration}) s and at least one frame, got ${extendStride} s (${strideFrames} frames)`,
    );
  }
  const window = (index: number, startFrame: number, promptFrames: number, total: number): GenerationWindow => ({
    index,
    startFrame,
    startTime: startFrame / frameRate,
    promptFrames,
    newFrames: total - promptFrames,
    totalFrames: total,
  });

  // AudioCraft: max_prompt_len = int(min(duration, max_duration) * frame_rate)
  if (prompt > maxFrames) {
    throw new PromptTooLongError(
      `the audio prompt (${prompt} frames = ${prompt / frameRate} s) is longer than one generation window ` +
        `(${maxDuration} s); trim it to at most ${maxDuration} s`,
    );
  }
  if (prompt > totalFrames) {
    throw new PromptTooLongError(
      `the audio prompt (${prompt / frameRate} s) is longer than the requested output (${totalFrames / frameRate} s); ` +
        'duration counts the prompt, so ask for at least the prompt length',
    );
  }
  if (totalFrames <= maxFrames) return [window(0, 0, prompt, totalFrames)];

  const windows: GenerationWindow[] = [];
  let offset = 0;
  let promptFrames = prompt;
  while (offset + promptFrames < totalFrames) {
    const total = Math.min(totalFrames - offset, maxFrames);
    windows.push(window(windows.length, offset, promptFrames, total));
    // the next prompt is this window's tokens from the stride on (gen_tokens[:, :, stride:])
    promptFrames = total - strideFrames;
    offset += strideFrames;
  }
  return windows;
}

/**
 * Seconds into the melody at which a window reads it: the window's start time, looping over the
 * melody's length (AudioCraft reads `positions % wav_length` from int(time_offset * sample_rate)).
 */
export function melodyOffsetForWindow(window: Pick<GenerationWindow, 'startTime'>, melodyDuration: number): number {
  if (!(melodyDuration > 0) || !Number.isFinite(melodyDuration)) {
    throw new InvalidScheduleError(`melodyDuration must be a positive number of seconds, got ${melodyDuration}`);
  }
  return window.startTime % melodyDuration;
}

/**
 * The melody samples a window conditions on, exactly as AudioCraft's long-form loop: starting at
 * int(startTime * sampleRate), `maxDuration * sampleRate` samples read modulo the melody's length
 * (so a short melody repeats). `channel` is one channel at the model's sample rate.
 */
export function melodySegmentForWindow(
  channel: Float32Array,
  window: Pick<GenerationWindow, 'startTime'>,
  sampleRate: number,
  maxDuration: number = MAX_DURATION,
): Float32Array {
  const length = channel.length;
  if (length === 0) throw new InvalidScheduleError('the melody is empty');
  const start = Math.trunc(window.startTime * sampleRate);
  const count = Math.trunc(maxDuration * sampleRate);
  const out = new Float32Array(count);
  let pos = start % length;
  for (let i = 0; i < count; i++) {
    out[i] = channel[pos];
    pos++;
    if (pos === length) pos = 0;
  }
  return out;
}
