import { convertChannels } from '../audio/convertAudio.js';
import { readAudio } from '../audio/read.js';
import { AudioDecodeError } from '../audio/errors.js';
import { AppUploadError } from './errors.js';
import { randomId } from './randomId.js';
import type { AudioInput } from './workerProtocol.js';

export type UploadKind = 'melody' | 'continuation';

export interface UploadInfo {
  id: string;
  kind: UploadKind;
  durationS: number;
  sampleRate: number;
  channels: number;
  /** True when the file was longer than the limit and only its start was kept. */
  truncated: boolean;
}

interface Upload extends UploadInfo {
  owner: string;
  audio: AudioInput;
  expiresAt: number;
}

export interface UploadStoreOptions {
  /** Seconds kept of an upload (the longest generation is 120 s). Default 120. */
  maxSeconds?: number;
  /** Uploads kept in memory at most; the oldest go first. Default 8 (at most ~370 MB of 48 kHz stereo). */
  maxUploads?: number;
  ttlMs?: number;
  now?: () => number;
}

/**
 * Decoded uploads, in memory only: the bytes are decoded with the audio toolkit straight from the
 * request body and never touch the disk. Each upload belongs to the browser session that sent it.
 */
export class UploadStore {
  private readonly uploads = new Map<string, Upload>();
  private readonly maxSeconds: number;
  private readonly maxUploads: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(o: UploadStoreOptions = {}) {
    this.maxSeconds = o.maxSeconds ?? 120;
    this.maxUploads = o.maxUploads ?? 8;
    this.ttlMs = o.ttlMs ?? 60 * 60 * 1000;
    this.now = o.now ?? Date.now;
  }

  /** Decodes `bytes` (WAV, MP3, FLAC, Ogg Vorbis); a non-audio file is refused with a 415. */
  async add(owner: string, kind: UploadKind, bytes: Uint8Array): Promise<UploadInfo> {
    let audio: AudioInput;
    try {
      audio = await readAudio(bytes);
    } catch (err) {
      if (err instanceof AudioDecodeError) {
        const why = err.message.replace(/^cannot read audio from <buffer>: /, '');
        throw new AppUploadError(415, kind, `this file is not audio the app can read (WAV, MP3, FLAC or Ogg Vorbis): ${why}`);
      }
      throw err;
    }
    const channels = audio.channels.length;
    // The model reads melodies as mono (chroma): keep half the memory for stereo files.
    if (kind === 'melody' && channels > 1) audio = { channels: convertChannels(audio.channels, 1), sampleRate: audio.sampleRate };
    const limit = Math.round(this.maxSeconds * audio.sampleRate);
    const truncated = audio.channels[0].length > limit;
    if (truncated) audio = { channels: audio.channels.map((c) => c.slice(0, limit)), sampleRate: audio.sampleRate };
    this.sweep();
    while (this.uploads.size >= this.maxUploads) {
      const oldest = this.uploads.keys().next().value;
      if (oldest === undefined) break;
      this.uploads.delete(oldest);
    }
    const info: UploadInfo = {
      id: randomId(),
      kind,
      durationS: audio.channels[0].length / audio.sampleRate,
      sampleRate: audio.sampleRate,
      channels,
      truncated,
    };
    this.uploads.set(info.id, { ...info, owner, audio, expiresAt: this.now() + this.ttlMs });
    return info;
  }

  get(owner: string, id: string, kind: UploadKind): { info: UploadInfo; audio: AudioInput } {
    const u = this.uploads.get(id);
    if (!u || u.owner !== owner || u.kind !== kind || u.expiresAt <= this.now()) {
      throw new AppUploadError(404, kind, `the ${kind} upload is gone (uploads are kept an hour): choose the file again`);
    }
    const { audio, owner: _o, expiresAt: _e, ...info } = u;
    return { info, audio };
  }

  sweep(): void {
    const t = this.now();
    for (const [id, u] of this.uploads) if (u.expiresAt <= t) this.uploads.delete(id);
  }

  clear(): void {
    this.uploads.clear();
  }
}
