/**
 * Melody conditioning of musicgen-melody (docs/ARCHITECTURE.md, "Melody"), the one owner of it as
 * AudioCraft's ChromaStemConditioner: melodies at any rate and channel count (or chroma features
 * already computed) in, chroma per generation window out, [B, chromaLength, 12] one-hot frames.
 * The signal processing (32 kHz mono with one kernel, STFT chroma) is src/audio/chroma.ts; here
 * are the per-item batch, the window schedule and the one-hot default.
 */

import { CHROMA_SAMPLE_RATE, extractChroma, fitChromaLength, toChromaRate } from '../audio/chroma.js';
import { MAX_DURATION } from '../model/contextLength.js';
import type { MelodyConfig } from '../model/modelConfig.js';
import { GenerationInputError } from './errors.js';
import { melodySegmentForWindow, type GenerationWindow } from './windowSchedule.js';

/**
 * One melody per item (null: none, HF's default one-hot C): audio (channels at `sampleRate`), or
 * chroma features (frames x 12 per item, e.g. HF's MusicgenMelodyFeatureExtractor output) that
 * condition every window as they are.
 */
export type MelodyInput =
  | { audio: ReadonlyArray<readonly Float32Array[] | null>; sampleRate: number }
  | { chroma: ReadonlyArray<readonly Float32Array[] | null> };

/** [batch, frames, bins] chroma with every frame one-hot at bin 0 (C): HF's null / default melody. */
export function oneHotC(batch: number, frames: number, bins: number): { data: Float32Array; frames: number } {
  const data = new Float32Array(batch * frames * bins);
  for (let i = 0; i < batch * frames; i++) data[i * bins] = 1;
  return { data, frames };
}

/** The melodies of one call, ready to give each window its chroma. */
export class MelodyConditioner {
  private constructor(
    private readonly config: MelodyConfig,
    /** Per item: 32 kHz mono audio, fitted chroma frames, or null. */
    private readonly items: ReadonlyArray<{ mono: Float32Array } | { frames: Float32Array[] } | null>,
    /** Some item was given a melody (an empty chroma list counts, as one-hot C). */
    readonly hasMelody: boolean,
  ) {}

  /**
   * Checks the melodies against the model (`what` names the model in errors); bad input throws
   * `errorClass` (GenerationInputError by default).
   */
  static of(config: MelodyConfig | null, input: MelodyInput, what: string, errorClass: new (message: string) => Error = GenerationInputError): MelodyConditioner {
    if (!config) {
      throw new errorClass(`${what}; melody conditioning needs a musicgen_melody model (e.g. facebook/musicgen-melody)`);
    }
    if ('chroma' in input) {
      const items = input.chroma.map((c, b) => {
        if (c === null || c.length === 0) return c === null ? null : { frames: [oneHotC(1, 1, config.numChroma).data] };
        c.forEach((f, t) => {
          if (f.length !== config.numChroma) throw new errorClass(`chroma ${b} frame ${t} has ${f.length} bins, expected ${config.numChroma}`);
        });
        return { frames: fitChromaLength(c as Float32Array[], config.chromaLength) };
      });
      return new MelodyConditioner(config, items, input.chroma.some((c) => c !== null));
    }
    const items = input.audio.map((m, i) => {
      if (m === null) return null;
      if (!Array.isArray(m) || m.length === 0 || m[0].length === 0) {
        throw new errorClass(`melody ${i} is empty; pass channels (Float32Array[]) or null`);
      }
      return { mono: toChromaRate(m, input.sampleRate) };
    });
    return new MelodyConditioner(config, items, items.some((m) => m !== null));
  }

  /** Items in the call. */
  get batch(): number {
    return this.items.length;
  }

  /**
   * [B, chromaLength, 12] chroma for one window (one-hot C for items without melody). `null`, a
   * generation of one window: the melody as given, truncated at 30 s (HF's feature extractor).
   * A window of a long-form run: its own 30 s, read from its start time and looping (AudioCraft).
   * Features are the same in every window.
   */
  chromaForWindow(window: GenerationWindow | null): Float32Array {
    const { chromaLength: length, numChroma: bins } = this.config;
    const out = new Float32Array(this.items.length * length * bins);
    this.items.forEach((m, b) => {
      let frames: Float32Array[];
      if (m === null) frames = [oneHotC(1, 1, bins).data];
      else if ('frames' in m) frames = m.frames;
      else {
        const segment = window
          ? melodySegmentForWindow(m.mono, window, CHROMA_SAMPLE_RATE, MAX_DURATION)
          : m.mono.subarray(0, Math.min(m.mono.length, MAX_DURATION * CHROMA_SAMPLE_RATE));
        frames = extractChroma(segment, CHROMA_SAMPLE_RATE, { argmax: true });
      }
      fitChromaLength(frames, length).forEach((f, t) => out.set(f, (b * length + t) * bins));
    });
    return out;
  }
}
