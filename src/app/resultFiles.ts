import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { audioChroma } from '../audio/chroma.js';
import { chromagramPng } from '../audio/chromagramImage.js';
import { chromaMatchRate } from '../audio/chromaMatchRate.js';
import { normalizeAudio } from '../audio/normalize.js';
import { encodeWav } from '../audio/wavCodec.js';
import { spectrogramPng } from './spectrogramImage.js';
import { waveformPng } from './waveformImage.js';
import type { AudioInput, SampleFiles } from './workerProtocol.js';

/** The demo's loudness normalisation: -16 LUFS, then tanh soft clipping. */
export const DEMO_NORMALIZATION = { strategy: 'loudness', loudnessHeadroomDb: 16, loudnessCompressor: true } as const;

/**
 * Writes one generated sample's files into `outDir`: the loudness-normalised 16-bit WAV, its
 * waveform and spectrogram pictures, and (given the melody's chroma) the chroma match rate.
 * File names are fixed patterns, never from the request.
 */
export function writeSampleFiles(outDir: string, index: number, audio: readonly Float32Array[], sampleRate: number, melodyChroma: Float32Array[] | null): SampleFiles {
  const normalized = normalizeAudio(audio, sampleRate, DEMO_NORMALIZATION);
  const wav = `sample-${index}.wav`;
  const waveform = `waveform-${index}.png`;
  const spectrogram = `spectrogram-${index}.png`;
  writeFileSync(join(outDir, wav), encodeWav(normalized, sampleRate, 'pcm16'));
  writeFileSync(join(outDir, waveform), waveformPng(normalized));
  writeFileSync(join(outDir, spectrogram), spectrogramPng(normalized));
  let rate: number | null = null;
  if (melodyChroma) rate = chromaMatchRate(melodyChroma, audioChroma(audio, sampleRate));
  return { wav, waveform, spectrogram, durationS: (audio[0]?.length ?? 0) / sampleRate, chromaMatchRate: rate };
}

/** One-hot chroma of a melody (32 kHz mono, as the model reads it) and its picture. */
export function writeMelodyChroma(outDir: string, melody: AudioInput): { chroma: Float32Array[]; file: string } {
  const chroma = audioChroma(melody.channels, melody.sampleRate);
  const file = 'melody-chroma.png';
  // Short melodies have few frames (8 per second): widen the cells so the picture is ~800 px wide.
  const cellWidth = Math.max(1, Math.min(48, Math.floor(800 / Math.max(1, chroma.length))));
  writeFileSync(join(outDir, file), chromagramPng(chroma, { cellWidth }));
  return { chroma, file };
}
