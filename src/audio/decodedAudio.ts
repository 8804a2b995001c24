/** Decoded audio: one Float32Array per channel (nominal range [-1, 1]) and the sample rate in Hz. */
export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
}
