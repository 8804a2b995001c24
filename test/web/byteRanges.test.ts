import { describe, expect, it } from 'vitest';
import { byteRange } from '../../src/web/byteRanges.js';

describe('byteRange (RFC 9110 section 14.1.2, its examples on a 10000-byte file)', () => {
  it('first, suffix and open ranges', () => {
    expect(byteRange('bytes=0-499', 10000)).toEqual({ start: 0, end: 499 });
    expect(byteRange('bytes=500-999', 10000)).toEqual({ start: 500, end: 999 });
    expect(byteRange('bytes=-500', 10000)).toEqual({ start: 9500, end: 9999 });
    expect(byteRange('bytes=9500-', 10000)).toEqual({ start: 9500, end: 9999 });
  });

  it('a last position past the end is cut to the end; a suffix longer than the file is the whole file', () => {
    expect(byteRange('bytes=9990-20000', 10000)).toEqual({ start: 9990, end: 9999 });
    expect(byteRange('bytes=-20000', 10000)).toEqual({ start: 0, end: 9999 });
  });

  it('unsatisfiable: a start at or past the end, an inverted range, an empty one', () => {
    expect(byteRange('bytes=10000-', 10000)).toBeNull();
    expect(byteRange('bytes=500-400', 10000)).toBeNull();
    expect(byteRange('bytes=-', 10000)).toBeNull();
    expect(byteRange('bytes=-0', 10000)).toBeNull();
  });
});
