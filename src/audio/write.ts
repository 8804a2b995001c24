import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AudioWriteError, InvalidAudioError } from './errors.js';
import { normalizeAudio, type NormalizeOptions } from './normalize.js';
import { channelLength, checkSampleRate } from './validate.js';
import { encodeWav, type WavEncoding } from './wavCodec.js';
import { replaceFile } from '../atomicWrite.js';

export type AudioFormat = 'wav' | 'mp3' | 'ogg' | 'flac';

export interface WriteAudioOptions extends NormalizeOptions {
  /** Default: from the file extension (.wav, .mp3, .ogg, .flac). */
  format?: AudioFormat;
  /** WAV sample encoding. Default 'pcm16'. */
  wavEncoding?: WavEncoding;
  /** MP3 bit rate in kbps (AudioCraft's mp3_rate). Default 320. */
  mp3Kbps?: number;
  /** ffmpeg executable used for mp3/ogg/flac. Default 'ffmpeg' from PATH. */
  ffmpegPath?: string;
}

const FORMATS: readonly AudioFormat[] = ['wav', 'mp3', 'ogg', 'flac'];

/**
 * Normalises (AudioCraft's audio_write: strategy 'peak' by default) and writes audio. WAV is
 * encoded in-process (16-bit PCM by default, 24-bit or float32 on request); mp3, ogg (Vorbis) and
 * flac (16-bit) are encoded by the system ffmpeg. The file is written to a temporary name in the
 * same folder and renamed into place, so `path` is never left half-written. Returns `path`.
 */
export async function writeAudio(
  path: string,
  channels: readonly Float32Array[],
  sampleRate: number,
  options: WriteAudioOptions = {},
): Promise<string> {
  const format = options.format ?? formatFromPath(path);
  channelLength(channels, 'writeAudio');
  checkSampleRate(sampleRate, 'writeAudio');
  for (const [c, x] of channels.entries()) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new InvalidAudioError(`writeAudio: channel ${c} sample ${i} is ${x[i]}; refusing to write non-finite audio`);
    }
  }
  const audio = normalizeAudio(channels, sampleRate, options);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await replaceFile(
      path,
      (t) => (format === 'wav' ? writeFile(t, encodeWav(audio, sampleRate, options.wavEncoding ?? 'pcm16')) : encodeWithFfmpeg(t, audio, sampleRate, format, options)),
      temp,
    );
  } catch (err) {
    if (err instanceof AudioWriteError) throw err;
    throw new AudioWriteError(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  return path;
}

function formatFromPath(path: string): AudioFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((FORMATS as readonly string[]).includes(ext)) return ext as AudioFormat;
  throw new AudioWriteError(`cannot tell the audio format of ${path} from its extension; use .wav, .mp3, .ogg or .flac, or pass { format }`);
}

/** Pipes interleaved float32 into ffmpeg, which encodes to `out`. */
function encodeWithFfmpeg(out: string, channels: Float32Array[], sampleRate: number, format: Exclude<AudioFormat, 'wav'>, options: WriteAudioOptions): Promise<void> {
  const ffmpeg = options.ffmpegPath ?? 'ffmpeg';
  const codec: Record<typeof format, string[]> = {
    mp3: ['-c:a', 'libmp3lame', '-b:a', `${options.mp3Kbps ?? 320}k`, '-f', 'mp3'],
    ogg: ['-c:a', 'libvorbis', '-f', 'ogg'],
    flac: ['-c:a', 'flac', '-sample_fmt', 's16', '-f', 'flac'],
  };
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'f32le', '-ar', String(sampleRate), '-ac', String(channels.length), '-i', 'pipe:0', ...codec[format], out];
  const n = channels[0].length;
  const interleaved = new Float32Array(n * channels.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels.length; c++) interleaved[i * channels.length + c] = channels[c][i];

  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new AudioWriteError(`writing ${format} needs ffmpeg, which was not found (${ffmpeg}); install it (apt-get install ffmpeg) or write WAV instead`, { cause: err })
          : new AudioWriteError(`could not run ${ffmpeg}: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new AudioWriteError(`ffmpeg failed to encode ${format} (exit ${code}): ${stderr.trim().slice(-500)}`));
    });
    // EPIPE when ffmpeg exits early is reported through 'close' with its stderr.
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(interleaved.buffer));
  });
}
