import wavefile from 'wavefile';
import { MosInputError } from './errors.js';

const { WaveFile } = wavefile;

export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
}

/**
 * Interim WAV reader until src/audio/read.ts lands (it will also decode mp3/flac/ogg); playback.ts
 * is the only caller, so switching is a one-line change there.
 */
export function decodeWav(bytes: Uint8Array, what: string): DecodedAudio {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
    wav.toBitDepth('32f');
  } catch (err) {
    throw new MosInputError(`${what} is not a readable WAV file (${(err as Error).message}); convert it to WAV`, { cause: err });
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number };
  const raw = wav.getSamples(false, Float32Array) as unknown as Float32Array | Float32Array[];
  const channels = fmt.numChannels === 1 ? [raw as Float32Array] : (raw as Float32Array[]);
  return { channels: channels.map((c) => Float32Array.from(c)), sampleRate: fmt.sampleRate };
}

/** 16-bit PCM WAV bytes (what every browser plays). Samples are clipped to [-1, 1]. */
export function encodeWav16(channels: readonly Float32Array[], sampleRate: number): Uint8Array {
  const ints = channels.map((c) => {
    const out = new Int16Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const v = Math.max(-1, Math.min(1, c[i]));
      out[i] = Math.round(v < 0 ? v * 32768 : v * 32767);
    }
    return out;
  });
  const wav = new WaveFile();
  wav.fromScratch(channels.length, sampleRate, '16', channels.length === 1 ? ints[0] : ints);
  return wav.toBuffer();
}
