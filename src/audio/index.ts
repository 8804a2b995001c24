// Public API of the audio toolkit: decoding, resampling, loudness, normalisation, chroma, writing.
export type { DecodedAudio } from './decodedAudio.js';
export { AudioDecodeError, AudioWriteError, InvalidAudioError } from './errors.js';
export { readAudio, detectContainer, type AudioContainer } from './read.js';
export { resample, DEFAULT_RESAMPLE, JULIUS_RESAMPLE, type ResampleOptions } from './resample.js';
export { convertAudio, convertChannels } from './convertAudio.js';
export { loudness } from './loudness.js';
export { normalizeAudio, type NormalizeOptions, type NormalizeStrategy } from './normalize.js';
export { writeAudio, type AudioFormat, type WriteAudioOptions } from './write.js';
export { encodeWav, decodeWav, type WavEncoding } from './wavCodec.js';
export {
  extractChroma,
  audioChroma,
  toChromaRate,
  rawChroma,
  fitChromaLength,
  CHROMA_SAMPLE_RATE,
  CHROMA_N_FFT,
  CHROMA_HOP,
  NUM_CHROMA,
  MELODY_CHROMA_LENGTH,
  type Chroma,
  type ExtractChromaOptions,
} from './chroma.js';
export { chromaFilterBank, type ChromaFilterBankOptions } from './chromaFilterBank.js';
export { chromaMatchRate, audioChromaMatchRate } from './chromaMatchRate.js';
export { chromagramPng, type ChromagramImageOptions } from './chromagramImage.js';
export { forEachPowerFrame, hannWindow, stftFrameCount, type PowerSpectrogramOptions } from './stft.js';
