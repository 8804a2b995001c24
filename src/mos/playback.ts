import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedAudio } from '../audio/decodedAudio.js';
import { loudness } from '../audio/loudness.js';
import { readAudio } from '../audio/read.js';
import { resample } from '../audio/resample.js';
import { encodeWav } from '../audio/wavCodec.js';
import { lowPass, trapVersion } from './degrade.js';
import { MosInputError } from './errors.js';
import { writeFileAtomicSync } from '../atomicWrite.js';

/** Sample rate of every playback file: what browsers and audio interfaces run at natively. */
export const PLAYBACK_SAMPLE_RATE = 48000;
export const DEFAULT_TARGET_LUFS = -23;

export type PlaybackVariant = 'plain' | 'anchor35' | 'anchor70' | 'trap';

export interface PlaybackOptions {
  cacheDir: string;
  targetLufs: number;
  variant: PlaybackVariant;
  /** Seed of the trap noise. */
  seed: number;
}

export interface PlaybackFile {
  path: string;
  durationS: number;
  /** Loudness after gain (below target when the gain was limited to avoid clipping). */
  lufs: number;
  cached: boolean;
}

/** Bump when processing changes so stale cache entries are not reused. */
const PROCESSING_VERSION = 1;

/** WAV, MP3, FLAC or Ogg Vorbis via src/audio; decoding problems become import errors. */
async function decode(bytes: Uint8Array, what: string): Promise<DecodedAudio> {
  try {
    return await readAudio(bytes);
  } catch (err) {
    throw new MosInputError(`cannot import ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Prepares the file a rater hears: 48 kHz, variant applied (MUSHRA anchor, trap), gain set so the
 * integrated loudness is `targetLufs` (reduced if the peak would exceed -1 dBFS), 16-bit WAV.
 * Files are cached by a hash of the source bytes and the options; the source is only read.
 */
export async function preparePlayback(source: string, opts: PlaybackOptions): Promise<PlaybackFile> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (err) {
    throw new MosInputError(`cannot read audio ${source}: ${(err as Error).message}`, { cause: err });
  }
  const key = createHash('sha256')
    .update(bytes)
    .update(JSON.stringify([PROCESSING_VERSION, opts.targetLufs, opts.variant, opts.variant === 'trap' ? opts.seed : 0]))
    .digest('hex')
    .slice(0, 32);
  mkdirSync(opts.cacheDir, { recursive: true });
  const path = join(opts.cacheDir, `${key}.wav`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { durationS: number; lufs: number };
    return { path, durationS: m.durationS, lufs: m.lufs, cached: true };
  }
  const audio = await decode(bytes, source);
  let channels = audio.channels.map((c) => resample(c, audio.sampleRate, PLAYBACK_SAMPLE_RATE));
  if (opts.variant === 'anchor35') channels = lowPass(channels, PLAYBACK_SAMPLE_RATE, 3500);
  else if (opts.variant === 'anchor70') channels = lowPass(channels, PLAYBACK_SAMPLE_RATE, 7000);
  else if (opts.variant === 'trap') channels = trapVersion(channels, PLAYBACK_SAMPLE_RATE, opts.seed);
  const length = channels[0]?.length ?? 0;
  if (length === 0) throw new MosInputError(`${source} holds no samples`);
  const measured = loudness(channels, PLAYBACK_SAMPLE_RATE);
  // Silence or clips shorter than one 400 ms block have no loudness: leave their level alone.
  let gain = Number.isFinite(measured) ? 10 ** ((opts.targetLufs - measured) / 20) : 1;
  let peak = 0;
  for (const c of channels) for (const v of c) peak = Math.max(peak, Math.abs(v));
  const maxPeak = 10 ** (-1 / 20);
  if (peak * gain > maxPeak) gain = maxPeak / peak;
  const out = channels.map((c) => c.map((v) => v * gain));
  const lufs = Number.isFinite(measured) ? measured + 20 * Math.log10(gain) : measured;
  const durationS = length / PLAYBACK_SAMPLE_RATE;
  // Written atomically so a crash never leaves a half-written file under the cache key.
  writeFileAtomicSync(path, encodeWav(out, PLAYBACK_SAMPLE_RATE, 'pcm16'));
  writeFileSync(meta, JSON.stringify({ source, durationS, lufs: Number.isFinite(lufs) ? lufs : null }));
  return { path, durationS, lufs, cached: false };
}
