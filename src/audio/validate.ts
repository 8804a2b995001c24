import { InvalidAudioError } from './errors.js';

/** Checks a channel list is non-empty and all channels have the same length; returns that length. */
export function channelLength(channels: readonly Float32Array[], what: string): number {
  if (channels.length === 0) throw new InvalidAudioError(`${what}: audio has no channels`);
  const n = channels[0].length;
  for (let c = 1; c < channels.length; c++) {
    if (channels[c].length !== n) {
      throw new InvalidAudioError(
        `${what}: channel ${c} has ${channels[c].length} samples but channel 0 has ${n}; all channels must have the same length`,
      );
    }
  }
  return n;
}

export function checkSampleRate(sampleRate: number, what: string): void {
  if (!Number.isFinite(sampleRate) || sampleRate <= 0 || !Number.isInteger(sampleRate)) {
    throw new InvalidAudioError(`${what}: sample rate must be a positive integer in Hz, got ${sampleRate}`);
  }
}
