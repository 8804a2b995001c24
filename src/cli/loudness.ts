import type { Command } from 'commander';
import { loudness } from '../audio/loudness.js';
import { readAudio } from '../audio/read.js';
import type { CliOutput } from './chroma.js';

const stdout: CliOutput = { write: (text) => void process.stdout.write(text) };

export interface LoudnessReport {
  file: string;
  /** Integrated loudness (BS.1770-4 as torchaudio); null when nothing passes the gates (silence, < 400 ms). */
  lufs: number | null;
  /** Largest absolute sample in dBFS; null for digital silence. */
  samplePeakDbfs: number | null;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
}

/** `musicgen loudness <audio> [--json]`: integrated loudness (LUFS) and sample peak of a file. */
export function register(program: Command, out: CliOutput = stdout): void {
  program
    .command('loudness')
    .description('integrated loudness (ITU-R BS.1770-4, LUFS) and sample peak of an audio file')
    .argument('<audio>', 'wav, mp3, flac or ogg file')
    .option('--json', 'print JSON', false)
    .action(async (audioPath: string, opts: { json: boolean }) => {
      const { channels, sampleRate } = await readAudio(audioPath);
      let peak = 0;
      for (const c of channels) for (const v of c) peak = Math.max(peak, Math.abs(v));
      const lufs = loudness(channels, sampleRate);
      const report: LoudnessReport = {
        file: audioPath,
        lufs: Number.isFinite(lufs) ? lufs : null,
        samplePeakDbfs: peak > 0 ? 20 * Math.log10(peak) : null,
        sampleRate,
        channels: channels.length,
        durationSeconds: channels[0].length / sampleRate,
      };
      if (opts.json) {
        out.write(`${JSON.stringify(report, null, 1)}\n`);
        return;
      }
      const fmt = (v: number | null, unit: string): string => (v === null ? `-inf ${unit}` : `${v.toFixed(2)} ${unit}`);
      out.write(
        `${audioPath}\n  integrated loudness  ${fmt(report.lufs, 'LUFS')}\n  sample peak          ${fmt(report.samplePeakDbfs, 'dBFS')}\n` +
          `  ${report.channels} ch, ${sampleRate} Hz, ${report.durationSeconds.toFixed(2)} s\n`,
      );
    });
}
