import { InvalidAudioError } from './errors.js';
import { resample, type ResampleOptions } from './resample.js';
import { channelLength, checkSampleRate } from './validate.js';

/**
 * Channel conversion as AudioCraft's convert_audio_channels: same count -> unchanged; to mono ->
 * mean of all channels; mono -> copies of it; more channels than asked -> the first ones; fewer
 * (but not mono) -> error, since there is no sensible upmix.
 */
export function convertChannels(channels: readonly Float32Array[], targetChannels: number): Float32Array[] {
  const length = channelLength(channels, 'convertChannels');
  if (!Number.isInteger(targetChannels) || targetChannels <= 0) {
    throw new InvalidAudioError(`target channel count must be a positive integer, got ${targetChannels}`);
  }
  const n = channels.length;
  if (n === targetChannels) return channels.slice();
  if (targetChannels === 1) {
    const mono = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += channels[c][i];
      mono[i] = s / n;
    }
    return [mono];
  }
  if (n === 1) return Array.from({ length: targetChannels }, () => channels[0].slice());
  if (n > targetChannels) return channels.slice(0, targetChannels);
  throw new InvalidAudioError(
    `cannot convert ${n} channels to ${targetChannels}: the audio has fewer channels than requested and is not mono`,
  );
}

/** AudioCraft's convert_audio: resample every channel, then convert the channel count. */
export function convertAudio(
  channels: readonly Float32Array[],
  sampleRate: number,
  targetSampleRate: number,
  targetChannels: number,
  options: ResampleOptions = {},
): Float32Array[] {
  checkSampleRate(sampleRate, 'convertAudio');
  checkSampleRate(targetSampleRate, 'convertAudio');
  channelLength(channels, 'convertAudio');
  // Downmixing first is equivalent (both are linear) and resamples fewer channels.
  const mixed = targetChannels === 1 && channels.length > 1 ? convertChannels(channels, 1) : channels;
  const resampled = mixed.map((x) => resample(x, sampleRate, targetSampleRate, options));
  return convertChannels(resampled, targetChannels);
}
