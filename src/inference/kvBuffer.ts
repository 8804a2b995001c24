import * as ort from 'onnxruntime-node';

/** Positions a KV buffer grows by: unfilled slots cost attention reads, growth costs one copy. */
export const KV_BUFFER_CHUNK = 128;

/**
 * One layer's self-attention keys (or values) for the kvbuffer decoder: [rows, heads, capacity,
 * headDim], the first `length` positions filled. The decoder reads it in place (the tensor wraps
 * this memory); new positions are written after each step; capacity grows in chunks, so a step
 * never copies the cache and a long generation re-lays it out only every `chunk` positions.
 *
 * With `expectedLength` (the positions a generation will cache, known before it starts) the
 * memory for all of them is taken once and growth re-lays the lanes out in place: no allocation,
 * zero-fill or garbage per growth (a fresh allocation at 128 positions cost 65-320 ms on a
 * musicgen-small-sized model).
 */
export class KvBuffer {
  private data: Float32Array;
  private cap = 0;
  private filled = 0;
  private view: ort.Tensor | null = null;

  constructor(
    private readonly rows: number,
    private readonly heads: number,
    private readonly headDim: number,
    private readonly chunk = KV_BUFFER_CHUNK,
    expectedLength = 0,
  ) {
    if (!(Number.isInteger(chunk) && chunk > 0)) throw new RangeError(`KV buffer chunk must be a positive integer, got ${chunk}`);
    if (!(Number.isInteger(expectedLength) && expectedLength >= 0)) {
      throw new RangeError(`KV buffer expected length must be a non-negative integer, got ${expectedLength}`);
    }
    this.data = new Float32Array(rows * heads * Math.ceil(expectedLength / chunk) * chunk * headDim);
    // Touch the reservation now: a large block can be a fresh mapping (always under a low malloc
    // mmap_threshold, README "Memory"), and faulting its pages in at growth steps stalled them
    // 0.1-0.5 s each; here it costs the same once, before the token loop, which fills them anyway.
    this.data.fill(0);
  }

  get length(): number {
    return this.filled;
  }

  get capacity(): number {
    return this.cap;
  }

  /** The buffer as the graph's past input (same object until the capacity changes). */
  tensor(): ort.Tensor {
    const size = this.rows * this.heads * this.cap * this.headDim;
    this.view ??= new ort.Tensor('float32', size === this.data.length ? this.data : this.data.subarray(0, size), [this.rows, this.heads, this.cap, this.headDim]);
    return this.view;
  }

  /** Appends the new positions' [rows, heads, S, headDim] (the graph's present output). */
  append(fresh: Float32Array, S: number): void {
    const hd = this.headDim;
    const lanes = this.rows * this.heads;
    if (fresh.length !== lanes * S * hd) {
      throw new RangeError(`KV buffer append: expected ${lanes} x ${S} x ${hd} values, got ${fresh.length}`);
    }
    this.reserve(this.filled + S);
    const span = S * hd;
    const stride = this.cap * hd;
    const at = this.filled * hd;
    const dst = this.data;
    for (let lane = 0; lane < lanes; lane++) {
      // A plain loop: S is 1 on every step after the first, and subarray() would allocate.
      const d0 = lane * stride + at;
      const s0 = lane * span;
      for (let j = 0; j < span; j++) dst[d0 + j] = fresh[s0 + j];
    }
    this.filled += S;
  }

  private reserve(needed: number): void {
    if (needed <= this.cap) return;
    const cap = Math.ceil(needed / this.chunk) * this.chunk;
    const hd = this.headDim;
    const lanes = this.rows * this.heads;
    const used = this.filled * hd;
    if (lanes * cap * hd <= this.data.length) {
      // In place, last lane first: a lane's new start is at or after its old one and past the
      // end of every lane below it, so no lane is overwritten before it has moved.
      for (let lane = lanes - 1; lane > 0; lane--) this.data.copyWithin(lane * cap * hd, lane * this.cap * hd, lane * this.cap * hd + used);
    } else {
      const next = new Float32Array(lanes * cap * hd);
      for (let lane = 0; lane < lanes; lane++) next.set(this.data.subarray(lane * this.cap * hd, lane * this.cap * hd + used), lane * cap * hd);
      this.data = next;
    }
    this.cap = cap;
    this.view = null;
  }
}
