/**
 * Seeded pseudo-random numbers for sampling: xoshiro128** (Blackman & Vigna), its 128-bit state
 * filled from the seed by splitmix64, as the authors recommend. Same seed -> same sequence on every
 * platform (pure 32-bit integer arithmetic via Math.imul and >>> 0).
 *
 * Streams: `Rng.derive(seed, ...path)` / `rng.fork(id)` give independent generators keyed by the
 * seed and a path of integers (item index, row index, window index ...), not by how many numbers
 * were drawn before. That keeps a sample's tokens independent of batch composition: item 3 of a
 * sweep gets the same stream whether it runs alone or beside 15 others.
 */

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** splitmix64's output function (a 64-bit finaliser). */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** One splitmix64 output for `state`, and the next state. */
function splitmix64(state: bigint): [value: bigint, next: bigint] {
  const next = (state + GOLDEN_GAMMA) & MASK64;
  return [mix64(next), next];
}

function toKey(seed: number | bigint): bigint {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer, got ${String(seed)}`);
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/** Exposed for known-answer tests of the seeding step. */
export function splitmix64Sequence(seed: number | bigint, count: number): bigint[] {
  let state = toKey(seed);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const [v, next] = splitmix64(state);
    out.push(v);
    state = next;
  }
  return out;
}

const TWO_POW_26 = 67108864;
const TWO_POW_NEG_53 = 1 / 9007199254740992;

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** 64-bit key this generator was seeded from; forks derive from it, not from the state. */
  readonly key: bigint;

  /** A generator seeded with a safe integer (negative allowed) or a 64-bit bigint. */
  constructor(seed: number | bigint) {
    this.key = toKey(seed);
    let state = this.key;
    const words = new Uint32Array(4);
    for (let i = 0; i < 2; i++) {
      const [v, next] = splitmix64(state);
      state = next;
      words[2 * i] = Number(v & 0xffffffffn);
      words[2 * i + 1] = Number(v >> 32n);
    }
    // xoshiro's all-zero state is a fixed point; splitmix64 cannot produce two zero outputs in a
    // row, but guard anyway.
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    this.s0 = words[0];
    this.s1 = words[1];
    this.s2 = words[2];
    this.s3 = words[3];
  }

  /** A generator with an explicit xoshiro128** state (tests, resuming). */
  static fromState(state: ArrayLike<number>): Rng {
    if (state.length !== 4) throw new RangeError(`xoshiro128** state has 4 words, got ${state.length}`);
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** Independent stream for `seed` and a path of integers (e.g. item, row). */
  static derive(seed: number | bigint, ...path: number[]): Rng {
    let key = toKey(seed);
    for (const id of path) key = deriveKey(key, id);
    return new Rng(key);
  }

  /** Independent child stream `id` of this generator's seed (does not consume or read its state). */
  fork(id: number): Rng {
    return new Rng(deriveKey(this.key, id));
  }

  /** Current state words [s0, s1, s2, s3] (uint32). */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: ArrayLike<number>): void {
    if ((state[0] | state[1] | state[2] | state[3]) === 0) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }

  /** Next uint32 (xoshiro128**). */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits (two draws), never 1. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * TWO_POW_26 + lo) * TWO_POW_NEG_53;
  }
}

function deriveKey(key: bigint, id: number): bigint {
  if (!Number.isSafeInteger(id)) throw new RangeError(`stream id must be a safe integer, got ${String(id)}`);
  // Mix the id before combining so neighbouring ids give unrelated keys, then finalise again so
  // derive(s, a, b) and derive(s, b, a) differ.
  return mix64((key ^ mix64(BigInt.asUintN(64, BigInt(id)) + GOLDEN_GAMMA)) & MASK64);
}
