/**
 * mulberry32: a small seeded PRNG giving floats in [0, 1). Shared by the seeded random model
 * weights (convert/randomWeights.ts) and the MOS shuffles (mos/random.ts): both depend on its exact
 * stream (same seed, same model bytes and same playlists), so do not change the arithmetic.
 * Not for secrets; sampling uses inference/rng.ts (xoshiro128**), a different generator.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
