import { describe, expect, it } from 'vitest';
import { Rng, splitmix64Sequence } from '../../src/inference/rng.js';
import { chiSquareSurvival, chiSquareTest, logGamma } from './chiSquare.js';

describe('chi-square helper', () => {
  it('matches tabulated critical values', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(15.08627246938899, 5)).toBeCloseTo(0.01, 10);
    expect(chiSquareSurvival(16.266236196238129, 3)).toBeCloseTo(0.001, 10);
    expect(chiSquareSurvival(124.34211340400407, 100)).toBeCloseTo(0.05, 10);
    // df = 2: the survival function is exp(-x/2)
    for (const x of [0.1, 1, 5, 30]) expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe('Rng (xoshiro128** seeded by splitmix64)', () => {
  it('xoshiro128** known answers for state [1, 2, 3, 4] (reference C implementation)', () => {
    const rng = Rng.fromState([1, 2, 3, 4]);
    const out = Array.from({ length: 10 }, () => rng.nextUint32());
    expect(out).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('splitmix64 known answers for seed 1234567 (reference C implementation)', () => {
    expect(splitmix64Sequence(1234567, 5)).toEqual([
      6457827717110365317n,
      3203168211198807973n,
      9817491932198370423n,
      4593380528125082431n,
      16408922859458223821n,
    ]);
  });

  it('same seed -> identical sequence; different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 1000 }, () => a.nextFloat());
    const sb = Array.from({ length: 1000 }, () => b.nextFloat());
    const sc = Array.from({ length: 1000 }, () => c.nextFloat());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('accepts negative and large safe-integer seeds, rejects unsafe ones', () => {
    expect(new Rng(-1).nextUint32()).toBe(new Rng(-1).nextUint32());
    expect(new Rng(Number.MAX_SAFE_INTEGER).nextFloat()).toBeLessThan(1);
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(2 ** 60)).toThrow(RangeError);
  });

  it('state can be saved and restored', () => {
    const a = new Rng(7);
    a.nextUint32();
    const saved = a.getState();
    const expected = [a.nextUint32(), a.nextUint32()];
    const b = Rng.fromState(saved);
    expect([b.nextUint32(), b.nextUint32()]).toEqual(expected);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/all zero/);
  });

  it('forks depend on the seed and id only, not on draws made before', () => {
    const a = new Rng(99);
    const fresh = a.fork(3);
    for (let i = 0; i < 17; i++) a.nextUint32();
    const late = a.fork(3);
    expect(Array.from({ length: 8 }, () => late.nextUint32())).toEqual(Array.from({ length: 8 }, () => fresh.nextUint32()));
    // derive(seed, path) == new Rng(seed).fork(path...)
    const d = Rng.derive(99, 3, 5);
    const f = new Rng(99).fork(3).fork(5);
    expect(d.nextUint32()).toBe(f.nextUint32());
    // different ids and orders give different streams
    const firsts = new Set([
      Rng.derive(99, 0).nextUint32(),
      Rng.derive(99, 1).nextUint32(),
      Rng.derive(99, 3, 5).nextUint32(),
      Rng.derive(99, 5, 3).nextUint32(),
      new Rng(99).nextUint32(),
    ]);
    expect(firsts.size).toBe(5);
  });

  it('nextFloat is uniform on [0, 1) (chi-square over 64 bins, 200 000 draws) and uses more than 32 bits', () => {
    const rng = new Rng(2024);
    const bins = new Array<number>(64).fill(0);
    let fine = 0;
    let outOfRange = 0;
    for (let i = 0; i < 200_000; i++) {
      const u = rng.nextFloat();
      if (!(u >= 0 && u < 1)) outOfRange++;
      bins[Math.floor(u * 64)]++;
      // a value that is not a multiple of 2^-32 proves resolution beyond 32 bits
      if ((u * 2 ** 32) % 1 !== 0) fine++;
    }
    const test = chiSquareTest(bins, new Array<number>(64).fill(1 / 64));
    expect(outOfRange).toBe(0);
    expect(test.pValue).toBeGreaterThan(0.001);
    expect(fine).toBeGreaterThan(199_000);
  });

  it('forked streams are uncorrelated (lag-0 correlation of neighbouring rows)', () => {
    const a = Rng.derive(5, 0);
    const b = Rng.derive(5, 1);
    const n = 50_000;
    let sab = 0;
    for (let i = 0; i < n; i++) sab += (a.nextFloat() - 0.5) * (b.nextFloat() - 0.5);
    // correlation estimate; its standard error is 1/sqrt(n) ~ 0.0045
    const corr = sab / n / (1 / 12);
    expect(Math.abs(corr)).toBeLessThan(0.02);
  });
});
