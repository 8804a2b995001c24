import wavefile from 'wavefile';
import type { DecodedAudio } from './decodedAudio.js';
import { AudioDecodeError } from './errors.js';

const { WaveFile } = wavefile;

/** The parts of wavefile's parsed fmt/data chunks we read (its typings declare them as `object`). */
interface WavFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  subformat: number[];
}
interface WavData {
  chunkSize: number;
  samples: Uint8Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Decodes WAV (RIFF/RIFX/RF64 through wavefile's chunk parser): integer PCM of 8 (unsigned), 16,
 * 24 or 32 bits scaled by 2^(bits-1), and 32/64-bit IEEE float, plain or WAVE_FORMAT_EXTENSIBLE.
 */
export function decodeWav(bytes: Uint8Array, source: string): DecodedAudio {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(bytes);
  } catch (err) {
    throw new AudioDecodeError(source, `not a valid WAV file (${(err as Error).message})`, { cause: err });
  }
  const fmt = wav.fmt as unknown as WavFmt;
  const data = (wav as unknown as { data: WavData }).data;
  const code = fmt.audioFormat === WAVE_FORMAT_EXTENSIBLE ? (fmt.subformat?.[0] ?? 0) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const isFloat = code === WAVE_FORMAT_IEEE_FLOAT;
  if (!(code === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits)) && !(isFloat && (bits === 32 || bits === 64))) {
    throw new AudioDecodeError(
      source,
      `unsupported WAV encoding (format tag ${fmt.audioFormat}, ${bits} bits); supported: 8/16/24/32-bit integer PCM and 32/64-bit float`,
    );
  }
  const numChannels = fmt.numChannels;
  if (!numChannels || !fmt.sampleRate) throw new AudioDecodeError(source, 'WAV header has no channels or no sample rate');
  const blockAlign = (bits / 8) * numChannels;
  if (data.samples.length < data.chunkSize) {
    throw new AudioDecodeError(
      source,
      `file is truncated: the data chunk declares ${data.chunkSize} bytes but only ${data.samples.length} are present`,
    );
  }
  const frames = Math.floor(data.samples.length / blockAlign);
  if (frames === 0) throw new AudioDecodeError(source, 'WAV file contains no samples');

  const channels = Array.from({ length: numChannels }, () => new Float32Array(frames));
  const view = new DataView(data.samples.buffer, data.samples.byteOffset, data.samples.byteLength);
  const littleEndian = wav.container !== 'RIFX';
  const bytesPerSample = bits / 8;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < numChannels; c++) {
      const at = f * blockAlign + c * bytesPerSample;
      channels[c][f] = readSample(view, at, bits, isFloat, littleEndian);
    }
  }
  return { channels, sampleRate: fmt.sampleRate };
}

function readSample(view: DataView, at: number, bits: number, isFloat: boolean, le: boolean): number {
  if (isFloat) return bits === 32 ? view.getFloat32(at, le) : view.getFloat64(at, le);
  switch (bits) {
    case 8:
      return (view.getUint8(at) - 128) / 128; // 8-bit WAV is unsigned with 128 as zero.
    case 16:
      return view.getInt16(at, le) / 32768;
    case 24: {
      const b0 = view.getUint8(at);
      const b1 = view.getUint8(at + 1);
      const b2 = view.getUint8(at + 2);
      const v = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
      return ((v << 8) >> 8) / 8388608; // sign-extend 24 -> 32 bits
    }
    default:
      return view.getInt32(at, le) / 2147483648;
  }
}

export type WavEncoding = 'pcm16' | 'pcm24' | 'float32';

/** Encodes channels as a WAV file; integer encodings round and clip to the representable range. */
export function encodeWav(channels: readonly Float32Array[], sampleRate: number, encoding: WavEncoding): Uint8Array {
  const wav = new WaveFile();
  if (encoding === 'float32') {
    wav.fromScratch(channels.length, sampleRate, '32f', channels.map((c) => Float64Array.from(c)));
    return wav.toBuffer();
  }
  const bits = encoding === 'pcm16' ? 16 : 24;
  const full = 2 ** (bits - 1);
  const ints = channels.map((c) => {
    const out = new Int32Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const v = Math.round(c[i] * full);
      out[i] = v >= full ? full - 1 : v < -full ? -full : v;
    }
    return out;
  });
  wav.fromScratch(channels.length, sampleRate, String(bits), ints);
  return wav.toBuffer();
}
