import { MusicgenError } from '../errors.js';

/** Audio given to a DSP function is not usable (wrong shape, bad sample rate, mismatched channels). */
export class InvalidAudioError extends MusicgenError {}

/** A file or buffer could not be decoded: empty, truncated, corrupt or in an unsupported format. */
export class AudioDecodeError extends MusicgenError {
  constructor(
    /** File path, or `<buffer>` when decoding bytes from memory. */
    readonly source: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read audio from ${source}: ${reason}`, options);
  }
}

/** Writing an audio file failed, or the requested format needs a tool that is not installed. */
export class AudioWriteError extends MusicgenError {}
