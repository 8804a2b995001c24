import { readFile } from 'node:fs/promises';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import { MPEGDecoder } from 'mpg123-decoder';
import type { DecodedAudio } from './decodedAudio.js';
import { AudioDecodeError } from './errors.js';
import { mpegStreamIsTruncated } from './mpegFrames.js';
import { decodeWav } from './wavCodec.js';

export type AudioContainer = 'wav' | 'mp3' | 'flac' | 'ogg-vorbis';

/**
 * Reads WAV, MP3, FLAC or Ogg Vorbis from a path or from bytes, without ffmpeg. The format is
 * recognised from the content (magic bytes), not the file name. Throws AudioDecodeError naming the
 * file and the reason for missing, empty, truncated, corrupt or unsupported input.
 */
export async function readAudio(pathOrBuffer: string | Uint8Array): Promise<DecodedAudio> {
  const source = typeof pathOrBuffer === 'string' ? pathOrBuffer : '<buffer>';
  let bytes: Uint8Array;
  if (typeof pathOrBuffer === 'string') {
    try {
      bytes = await readFile(pathOrBuffer);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : `cannot open it (${code ?? String(err)})`;
      throw new AudioDecodeError(source, why, { cause: err });
    }
  } else {
    bytes = pathOrBuffer;
  }
  if (bytes.length === 0) throw new AudioDecodeError(source, 'the file is empty (0 bytes)');

  const container = detectContainer(bytes, source);
  const audio = container === 'wav' ? decodeWav(bytes, source) : await decodeCompressed(container, bytes, source);
  if (audio.channels.length === 0 || audio.channels[0].length === 0) {
    throw new AudioDecodeError(source, `no audio frames could be decoded from this ${container} data`);
  }
  return audio;
}

/** Recognises the container from its first bytes. */
export function detectContainer(bytes: Uint8Array, source = '<buffer>'): AudioContainer {
  const ascii = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ['RIFF', 'RIFX', 'RF64'].includes(ascii(0, 4)) && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') {
    const head = ascii(0, Math.min(bytes.length, 256));
    if (head.includes('vorbis')) return 'ogg-vorbis';
    if (head.includes('OpusHead')) throw new AudioDecodeError(source, 'Ogg Opus is not supported; convert it to WAV, FLAC, MP3 or Ogg Vorbis');
    throw new AudioDecodeError(source, 'Ogg stream with an unknown codec (only Vorbis is supported)');
  }
  // ADTS (raw AAC) shares MPEG audio's sync word but has layer bits 00, which MPEG audio never uses.
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0) {
    throw new AudioDecodeError(source, 'AAC (ADTS) is not supported; convert it to WAV, FLAC, MP3 or Ogg Vorbis');
  }
  if (ascii(0, 3) === 'ID3' || (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)) return 'mp3';
  if (ascii(4, 8) === 'ftyp') throw new AudioDecodeError(source, 'MP4/M4A audio is not supported; convert it to WAV, FLAC, MP3 or Ogg Vorbis');
  if (ascii(0, 4) === 'FORM') throw new AudioDecodeError(source, 'AIFF is not supported; convert it to WAV, FLAC, MP3 or Ogg Vorbis');
  if (bytes.length < 12) throw new AudioDecodeError(source, `too short (${bytes.length} bytes) to be an audio file`);
  throw new AudioDecodeError(source, 'unrecognised format: expected WAV, MP3, FLAC or Ogg Vorbis data');
}

interface DecoderResult {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

async function decodeCompressed(container: Exclude<AudioContainer, 'wav'>, bytes: Uint8Array, source: string): Promise<DecodedAudio> {
  let result: DecoderResult;
  try {
    result = await runDecoder(container, bytes);
  } catch (err) {
    throw new AudioDecodeError(source, `${container} decoder failed (${(err as Error).message})`, { cause: err });
  }
  if (result.samplesDecoded === 0) {
    const detail = result.errors.length ? `: ${result.errors[0].message}` : '';
    throw new AudioDecodeError(source, `no audio could be decoded from this ${container} data${detail}`);
  }
  if (container === 'flac') {
    const declared = flacTotalSamples(bytes);
    if (declared > 0 && result.samplesDecoded < declared) {
      throw new AudioDecodeError(
        source,
        `file is truncated: STREAMINFO declares ${declared} samples per channel but only ${result.samplesDecoded} could be decoded`,
      );
    }
  }
  if (container === 'mp3' && mpegStreamIsTruncated(bytes)) {
    throw new AudioDecodeError(source, 'file is truncated: the last MPEG frame is cut off');
  }
  if (container === 'ogg-vorbis' && !oggEndsWithEndOfStream(bytes)) {
    throw new AudioDecodeError(source, 'file is truncated: the last Ogg page is incomplete or not marked end-of-stream');
  }
  if (result.errors.length > 0) {
    throw new AudioDecodeError(
      source,
      `${result.errors.length} corrupt or truncated ${container} frame(s), first: ${result.errors[0].message}`,
    );
  }
  const channels = result.channelData.map((c) => c.subarray(0, result.samplesDecoded));
  return { channels, sampleRate: result.sampleRate };
}

async function runDecoder(container: Exclude<AudioContainer, 'wav'>, bytes: Uint8Array): Promise<DecoderResult> {
  if (container === 'mp3') {
    const decoder = new MPEGDecoder();
    await decoder.ready;
    try {
      return decoder.decode(bytes);
    } finally {
      decoder.free();
    }
  }
  const decoder = container === 'flac' ? new FLACDecoder() : new OggVorbisDecoder();
  await decoder.ready;
  try {
    return await decoder.decodeFile(bytes);
  } finally {
    decoder.free();
  }
}

/** Total samples per channel from FLAC's STREAMINFO (0 = unknown). */
function flacTotalSamples(bytes: Uint8Array): number {
  // "fLaC", then a 4-byte metadata block header; STREAMINFO is always the first block. Total
  // samples are the 36 bits starting at bit 108 of its 34-byte body.
  if (bytes.length < 8 + 18 || (bytes[4] & 0x7f) !== 0) return 0;
  const b = bytes.subarray(8);
  return (b[13] & 0x0f) * 2 ** 32 + ((b[14] << 24) >>> 0) + (b[15] << 16) + (b[16] << 8) + b[17];
}

/** Whether the last complete Ogg page carries the end-of-stream flag (a cut file does not). */
function oggEndsWithEndOfStream(bytes: Uint8Array): boolean {
  let pos = 0;
  let lastFlags = -1;
  // Walk page by page: 27-byte header, segment table, then the sum of the lacing values.
  while (pos + 27 <= bytes.length && bytes[pos] === 0x4f && bytes[pos + 1] === 0x67 && bytes[pos + 2] === 0x67 && bytes[pos + 3] === 0x53) {
    const segments = bytes[pos + 26];
    if (pos + 27 + segments > bytes.length) return false;
    let body = 0;
    for (let i = 0; i < segments; i++) body += bytes[pos + 27 + i];
    const next = pos + 27 + segments + body;
    if (next > bytes.length) return false;
    lastFlags = bytes[pos + 5];
    pos = next;
  }
  return lastFlags >= 0 && (lastFlags & 0x04) !== 0;
}
