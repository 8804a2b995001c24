import { describe, expect, it } from 'vitest';
import { MosInputError, MosRuleError } from '../../src/mos/errors.js';
import { checkCoverage, coveredSeconds } from '../../src/mos/listening.js';

describe('played-range coverage', () => {
  it('counts the union of ranges once, clipped to the clip', () => {
    expect(coveredSeconds([], 10)).toBe(0);
    expect(coveredSeconds([[0, 10]], 10)).toBe(10);
    expect(coveredSeconds([[0, 4], [2, 6], [8, 9]], 10)).toBe(7); // [0,6] + [8,9]
    expect(coveredSeconds([[8, 9], [0, 4], [3, 5]], 10)).toBe(6); // order does not matter
    expect(coveredSeconds([[0, 10.2]], 10)).toBe(10); // a decoder's extra frames: clipped
    expect(coveredSeconds([[0, 0.2], [9.95, 10]], 10)).toBeCloseTo(0.25, 12);
  });

  it('rejects ranges that do not fit the clip', () => {
    expect(() => coveredSeconds([[5, 4]], 10)).toThrow(MosInputError);
    expect(() => coveredSeconds([[0, 11]], 10)).toThrow(MosInputError);
    expect(() => coveredSeconds([[0, Number.NaN]], 10)).toThrow(MosInputError);
  });

  it('needs the minimum share', () => {
    expect(() => checkCoverage([[0, 8.9]], 10, 0.9)).toThrow(MosRuleError);
    expect(() => checkCoverage([[0, 9]], 10, 0.9)).not.toThrow();
    expect(() => checkCoverage([], 10, 0)).not.toThrow();
  });
});
