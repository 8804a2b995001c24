import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureF32 } from '../helpers/fixtures.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Splits a (channels, time) float32 fixture into one Float32Array per channel. */
export function fixtureChannels(name: string): Float32Array[] {
  const { data, shape } = fixtureF32('dsp', name);
  const [channels, length] = shape.length === 2 ? shape : [1, shape[0]];
  return Array.from({ length: channels }, (_, c) => data.subarray(c * length, (c + 1) * length));
}
