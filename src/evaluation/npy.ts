/**
 * NumPy's .npy format, version 1.0 (numpy.lib.format): the magic "\x93NUMPY", version bytes 1 0,
 * a little-endian uint16 header length, an ASCII Python dict literal
 * `{'descr': '<i2', 'fortran_order': False, 'shape': (4, 1500), }` padded with spaces and ended by
 * a newline so that the data starts at a multiple of 64 bytes, then the raw C-order data.
 */
import { TokenCacheError } from './errors.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ALIGN = 64;

/** The typed arrays the token cache writes and reads, by NumPy dtype descriptor. */
const DTYPES = {
  '<i2': { bytes: 2, read: (b: Buffer, n: number) => Int16Array.from({ length: n }, (_, i) => b.readInt16LE(i * 2)) },
  '<i4': { bytes: 4, read: (b: Buffer, n: number) => Int32Array.from({ length: n }, (_, i) => b.readInt32LE(i * 4)) },
  '<i8': { bytes: 8, read: (b: Buffer, n: number) => Int32Array.from({ length: n }, (_, i) => Number(b.readBigInt64LE(i * 8))) },
} as const;
type Descr = keyof typeof DTYPES;

export interface NpyArray {
  descr: string;
  shape: number[];
  data: Int16Array | Int32Array;
}

/** An int16 array of the given shape (C order) as the bytes of a .npy file. */
export function encodeNpyInt16(data: Int16Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new TokenCacheError(`npy: shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`);
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<i2', 'fortran_order': False, 'shape': ${dims}, }`;
  const prefix = MAGIC.length + 2 + 2;
  const padded = Math.ceil((prefix + header.length + 1) / ALIGN) * ALIGN;
  header = header.padEnd(padded - prefix - 1, ' ') + '\n';
  const out = Buffer.alloc(padded + data.length * 2);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, prefix, 'latin1');
  for (let i = 0; i < data.length; i++) out.writeInt16LE(data[i], padded + i * 2);
  return out;
}

/** Reads a version 1.x / 2.x / 3.x .npy holding little-endian int16, int32 or int64 in C order. */
export function decodeNpy(bytes: Buffer, source = '<buffer>'): NpyArray {
  const bad = (why: string): TokenCacheError => new TokenCacheError(`${source}: not a readable .npy file (${why})`);
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) throw bad('no \\x93NUMPY magic');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`format version ${major}.${bytes[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLength) throw bad('truncated header');
  const header = bytes.subarray(start, start + headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad(`header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw bad('Fortran order is not supported');
  if (!(descr in DTYPES)) throw bad(`dtype ${descr}; expected int16 (<i2), int32 or int64`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`shape (${shapeText})`);
  const dtype = DTYPES[descr as Descr];
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (bytes.length !== dataStart + count * dtype.bytes) {
    throw bad(`${bytes.length - dataStart} data bytes for shape [${shape.join(', ')}] of ${descr}, expected ${count * dtype.bytes}`);
  }
  return { descr, shape, data: dtype.read(bytes.subarray(dataStart), count) };
}
