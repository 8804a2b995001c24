import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { audioChroma, CHROMA_HOP, CHROMA_SAMPLE_RATE, type Chroma } from '../audio/chroma.js';
import { chromagramPng } from '../audio/chromagramImage.js';
import { readAudio } from '../audio/read.js';

export const PITCH_CLASSES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;

/** Where command output goes (stdout by default; tests pass a collector). */
export interface CliOutput {
  write(text: string): void;
}
const stdout: CliOutput = { write: (text) => void process.stdout.write(text) };

interface ChromaCommandOptions {
  raw: boolean;
  json: boolean;
  png?: string;
}

/**
 * `musicgen chroma <audio> [--raw] [--json] [--png out.png]`: the melody-conditioning chroma of a
 * file (mono mix at 32 kHz, 4096-sample hop), one-hot by default or inf-normalised with --raw.
 */
export function register(program: Command, out: CliOutput = stdout): void {
  program
    .command('chroma')
    .description('chromagram of an audio file as MusicGen-melody sees it (mono mix, 32 kHz, 128 ms frames)')
    .argument('<audio>', 'wav, mp3, flac or ogg file')
    .option('--raw', 'inf-normalised chroma values instead of one-hot frames', false)
    .option('--json', 'print JSON instead of a table', false)
    .option('--png <file>', 'also write a chromagram picture (PNG)')
    .action(async (audioPath: string, opts: ChromaCommandOptions) => {
      const { channels, sampleRate } = await readAudio(audioPath);
      const chroma = audioChroma(channels, sampleRate, { argmax: !opts.raw });
      if (opts.png) await writeFile(opts.png, chromagramPng(chroma));
      out.write(opts.json ? `${JSON.stringify(chromaReport(audioPath, chroma, opts.raw), null, 1)}\n` : chromaTable(chroma, opts.raw));
      if (opts.png && !opts.json) out.write(`wrote ${opts.png}\n`);
    });
}

export interface ChromaReport {
  file: string;
  kind: 'one-hot' | 'raw';
  sampleRate: number;
  hopSeconds: number;
  frames: number;
  pitchClasses: readonly string[];
  /** Dominant pitch class per frame. */
  dominant: string[];
  /** frames x 12 values. */
  chroma: number[][];
}

function dominantIndex(frame: Float32Array): number {
  let best = 0;
  for (let c = 1; c < frame.length; c++) if (frame[c] > frame[best]) best = c;
  return best;
}

function chromaReport(file: string, chroma: Chroma, raw: boolean): ChromaReport {
  return {
    file,
    kind: raw ? 'raw' : 'one-hot',
    sampleRate: CHROMA_SAMPLE_RATE,
    hopSeconds: CHROMA_HOP / CHROMA_SAMPLE_RATE,
    frames: chroma.length,
    pitchClasses: PITCH_CLASSES,
    dominant: chroma.map((f) => PITCH_CLASSES[dominantIndex(f)]),
    chroma: chroma.map((f) => Array.from(f, (v) => Math.round(v * 1e6) / 1e6)),
  };
}

function chromaTable(chroma: Chroma, raw: boolean): string {
  const hop = CHROMA_HOP / CHROMA_SAMPLE_RATE;
  const header = raw ? `time (s)  dominant  ${PITCH_CLASSES.map((p) => p.padStart(5)).join('')}` : 'time (s)  dominant';
  const rows = chroma.map((f, t) => {
    const base = `${(t * hop).toFixed(3).padStart(8)}  ${PITCH_CLASSES[dominantIndex(f)].padEnd(8)}`;
    return raw ? `${base}  ${Array.from(f, (v) => v.toFixed(2).padStart(5)).join('')}` : base;
  });
  return `${[header, ...rows].join('\n')}\n`;
}
