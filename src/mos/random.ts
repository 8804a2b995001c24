import { randomBytes } from 'node:crypto';
import { mulberry32 } from '../mulberry32.js';

/**
 * Seeded pseudo-random numbers for reproducible shuffles (mulberry32). Not for secrets: tokens
 * use `randomToken`, which reads the operating system's CSPRNG.
 */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** Mixes several integers into one 32-bit seed (so rater 3 of test seed 7 has its own stream). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h >>> 0;
}

/** Fisher-Yates shuffle into a new array. */
export function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** URL-safe random token from the CSPRNG; 24 bytes -> 32 characters. */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
