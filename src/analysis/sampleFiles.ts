import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SweepOutputError } from './errors.js';
import type { SweepResultRow } from './sweepResults.js';
import { writeFileAtomic } from '../atomicWrite.js';

/** Sample wavs and sidecars live in this subfolder of a sweep's output folder. */
export const SAMPLES_DIR = 'samples';
const SIDECAR_VERSION = 1;

/** The sidecar JSON beside each sample's wav: its results row and its tokens. */
export interface SampleSidecar {
  version: number;
  row: SweepResultRow;
  /** codes[codebook] = frame ids, so a sample can be re-decoded or compared without the wav. */
  codes: number[][];
}

export function sampleWavPath(outDir: string, sampleId: string): string {
  return join(outDir, SAMPLES_DIR, `${sampleId}.wav`);
}

export function sampleSidecarPath(outDir: string, sampleId: string): string {
  return join(outDir, SAMPLES_DIR, `${sampleId}.json`);
}

/** Writes the sidecar last and atomically: its presence marks a sample as finished. */
export async function writeSampleSidecar(outDir: string, row: SweepResultRow, codes: readonly ArrayLike<number>[]): Promise<void> {
  const sidecar: SampleSidecar = { version: SIDECAR_VERSION, row, codes: codes.map((c) => Array.from(c)) };
  const path = sampleSidecarPath(outDir, row.sampleId);
  await writeFileAtomic(path, `${JSON.stringify(sidecar)}\n`);
}

/**
 * The sidecar of a finished sample, or null when the sample has not been generated (no sidecar,
 * or no wav beside it). A sidecar that cannot be parsed is an error: it is not ours to overwrite.
 */
export function readSampleSidecar(outDir: string, sampleId: string): SampleSidecar | null {
  const path = sampleSidecarPath(outDir, sampleId);
  if (!existsSync(path) || !existsSync(sampleWavPath(outDir, sampleId))) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SweepOutputError(`${path} is not a valid sample sidecar (${(err as Error).message}); delete it to regenerate the sample`, { cause: err });
  }
  const s = parsed as Partial<SampleSidecar>;
  if (s.version !== SIDECAR_VERSION || !s.row || s.row.sampleId !== sampleId || !Array.isArray(s.codes)) {
    throw new SweepOutputError(`${path} is not a sidecar written by this version of the sweep runner for ${sampleId}; delete it to regenerate the sample`);
  }
  return s as SampleSidecar;
}
