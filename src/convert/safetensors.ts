import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptCheckpointError, MissingTensorError, UnsupportedDtypeError } from './errors.js';
import type { Tensor, WeightSource } from './weights.js';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES_PER: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Widens IEEE half floats to float32. */
function f16ToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * 2 ** -14 * (frac / 1024);
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/** bfloat16 is the top half of a float32. */
function bf16ToF32(src: Uint16Array): Float32Array {
  const bits = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return new Float32Array(bits.buffer);
}

/**
 * One .safetensors file, read lazily: the header is parsed up front and each tensor is read from
 * disk when asked for, so multi-gigabyte checkpoints are never held in memory whole.
 */
export class SafetensorsFile implements WeightSource {
  readonly entries = new Map<string, HeaderEntry>();
  private readonly dataStart: number;

  constructor(readonly path: string) {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < 8) throw new CorruptCheckpointError(`${path}: file is ${size} bytes, too short for a safetensors header`);
      const lenBuf = Buffer.alloc(8);
      readSync(fd, lenBuf, 0, 8, 0);
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen <= 1 || headerLen > 100_000_000 || 8 + headerLen > size) {
        throw new CorruptCheckpointError(`${path}: corrupt safetensors header (declared length ${headerLen}, file size ${size})`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      readSync(fd, headerBuf, 0, headerLen, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new CorruptCheckpointError(`${path}: corrupt safetensors header (not valid JSON: ${(e as Error).message})`);
      }
      this.dataStart = 8 + headerLen;
      const dataLen = size - this.dataStart;
      for (const [name, value] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const e = value as Partial<HeaderEntry>;
        if (
          !e ||
          typeof e.dtype !== 'string' ||
          !Array.isArray(e.shape) ||
          !Array.isArray(e.data_offsets) ||
          e.data_offsets.length !== 2
        ) {
          throw new CorruptCheckpointError(`${path}: corrupt safetensors header entry for "${name}"`);
        }
        const [begin, end] = e.data_offsets;
        const per = BYTES_PER[e.dtype];
        const count = e.shape.reduce((a, b) => a * b, 1);
        if (per !== undefined && (end - begin !== count * per || begin < 0 || end > dataLen)) {
          throw new CorruptCheckpointError(
            `${path}: tensor "${name}" offsets [${begin}, ${end}) do not fit its shape [${e.shape.join(', ')}] ${e.dtype} or the file (${dataLen} data bytes)`,
          );
        }
        this.entries.set(name, e as HeaderEntry);
      }
    } finally {
      closeSync(fd);
    }
  }

  get origin(): string {
    return this.path;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  read(name: string): Tensor {
    const e = this.entries.get(name);
    if (!e) throw new MissingTensorError(`${this.path}: missing tensor "${name}"`);
    const per = BYTES_PER[e.dtype];
    if (per === undefined) {
      throw new UnsupportedDtypeError(`${this.path}: tensor "${name}" has dtype ${e.dtype}; only F32, F16 and BF16 are supported`);
    }
    const [begin, end] = e.data_offsets;
    const bytes = Buffer.alloc(end - begin);
    const fd = openSync(this.path, 'r');
    try {
      let done = 0;
      while (done < bytes.length) {
        const n = readSync(fd, bytes, done, bytes.length - done, this.dataStart + begin + done);
        if (n === 0) throw new CorruptCheckpointError(`${this.path}: truncated data for tensor "${name}"`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    // Copy into an aligned buffer: Buffer.alloc may hand out unaligned slices.
    const aligned = new Uint8Array(bytes.length);
    aligned.set(bytes);
    let data: Float32Array;
    if (e.dtype === 'F32') data = new Float32Array(aligned.buffer);
    else if (e.dtype === 'F16') data = f16ToF32(new Uint16Array(aligned.buffer));
    else data = bf16ToF32(new Uint16Array(aligned.buffer));
    return { data, shape: e.shape.slice() };
  }
}

/** Several shards behind model.safetensors.index.json's weight_map. */
class ShardedSafetensors implements WeightSource {
  private readonly files = new Map<string, SafetensorsFile>();
  constructor(
    readonly origin: string,
    private readonly weightMap: Record<string, string>,
    private readonly dir: string,
  ) {}
  private file(shard: string): SafetensorsFile {
    let f = this.files.get(shard);
    if (!f) {
      const p = join(this.dir, shard);
      if (!existsSync(p)) throw new CorruptCheckpointError(`${this.origin}: shard ${shard} listed in the index is missing`);
      f = new SafetensorsFile(p);
      this.files.set(shard, f);
    }
    return f;
  }
  has(name: string): boolean {
    return name in this.weightMap;
  }
  read(name: string): Tensor {
    const shard = this.weightMap[name];
    if (!shard) throw new MissingTensorError(`${this.origin}: missing tensor "${name}"`);
    return this.file(shard).read(name);
  }
}

/** Opens the weights of a Hugging Face checkpoint folder (single file or sharded). */
export function openCheckpointWeights(dir: string): WeightSource {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return new SafetensorsFile(single);
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let parsed: { weight_map?: Record<string, string> };
    try {
      parsed = JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> };
    } catch (e) {
      throw new CorruptCheckpointError(`${index}: not valid JSON (${(e as Error).message})`);
    }
    if (!parsed.weight_map) throw new CorruptCheckpointError(`${index}: no "weight_map"`);
    return new ShardedSafetensors(index, parsed.weight_map, dir);
  }
  throw new MissingTensorError(
    `${dir}: no model.safetensors or model.safetensors.index.json; download the checkpoint's safetensors files (PyTorch .bin files are not supported)`,
  );
}
