import { describe, expect, it } from 'vitest';
import { KvBuffer } from '../../src/inference/kvBuffer.js';

/** [lanes, S, hd] with value lane * 1000 + (position) * 10 + j, so every slot says where it belongs. */
function block(lanes: number, from: number, S: number, hd: number): Float32Array {
  const out = new Float32Array(lanes * S * hd);
  for (let l = 0; l < lanes; l++) for (let s = 0; s < S; s++) for (let j = 0; j < hd; j++) out[(l * S + s) * hd + j] = l * 1000 + (from + s) * 10 + j;
  return out;
}

describe('KvBuffer', () => {
  it('keeps every position of every lane in place across chunk growth', () => {
    const rows = 2;
    const heads = 3;
    const hd = 4;
    const buf = new KvBuffer(rows, heads, hd, 5);
    expect(buf.tensor().dims).toEqual([rows, heads, 0, hd]);
    buf.append(block(rows * heads, 0, 7, hd), 7); // first call: several positions
    expect([buf.length, buf.capacity]).toEqual([7, 10]);
    const before = buf.tensor();
    expect(buf.tensor()).toBe(before); // same tensor while the capacity holds
    for (let p = 7; p < 23; p++) buf.append(block(rows * heads, p, 1, hd), 1);
    expect([buf.length, buf.capacity]).toEqual([23, 25]);
    const t = buf.tensor();
    expect(t).not.toBe(before);
    expect(t.dims).toEqual([rows, heads, 25, hd]);
    const data = t.data as Float32Array;
    for (let l = 0; l < rows * heads; l++) {
      for (let p = 0; p < 23; p++) {
        for (let j = 0; j < hd; j++) expect(data[(l * 25 + p) * hd + j]).toBe(l * 1000 + p * 10 + j);
      }
    }
  });

  it('with an expected length, grows in place inside one reservation and reallocates only past it', () => {
    const lanes = 2 * 3;
    const hd = 4;
    const buf = new KvBuffer(2, 3, hd, 4, 10); // reserves 12 positions per lane
    buf.append(block(lanes, 0, 3, hd), 3);
    const first = buf.tensor().data as Float32Array;
    for (let p = 3; p < 12; p++) buf.append(block(lanes, p, 1, hd), 1);
    const inPlace = buf.tensor().data as Float32Array;
    expect(inPlace.buffer).toBe(first.buffer); // same memory, re-laid out 4 -> 8 -> 12
    expect(buf.tensor().dims).toEqual([2, 3, 12, hd]);
    for (let p = 12; p < 14; p++) buf.append(block(lanes, p, 1, hd), 1); // past the reservation
    const t = buf.tensor();
    expect((t.data as Float32Array).buffer).not.toBe(first.buffer);
    expect(t.dims).toEqual([2, 3, 16, hd]);
    const data = t.data as Float32Array;
    for (let l = 0; l < lanes; l++) {
      for (let p = 0; p < 14; p++) for (let j = 0; j < hd; j++) expect(data[(l * 16 + p) * hd + j]).toBe(l * 1000 + p * 10 + j);
    }
    expect(() => new KvBuffer(1, 1, 1, 4, -1)).toThrow(RangeError);
  });

  it('rejects a block of the wrong size and a bad chunk', () => {
    const buf = new KvBuffer(1, 2, 4);
    expect(() => buf.append(new Float32Array(7), 1)).toThrow(/expected 2 x 1 x 4 values, got 7/);
    expect(() => new KvBuffer(1, 1, 1, 0)).toThrow(RangeError);
  });
});
