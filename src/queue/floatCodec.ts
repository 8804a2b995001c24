/**
 * Float32 samples as base64 of their little-endian bytes, the form melodies travel in inside a
 * job's JSON data. Every platform Node runs on here is little-endian.
 */
export function float32ToBase64(x: Float32Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

/** The inverse of float32ToBase64, or null when the text is not a whole number of float32 values. */
export function base64ToFloat32(text: string): Float32Array | null {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0 || bytes.toString('base64') !== text) return null;
  // A copy: Buffer's pool offset need not be 4-byte aligned.
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Int32 values (codes) the same way. */
export function int32ToBase64(x: Int32Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

/** The inverse of int32ToBase64, or null when the text is not a whole number of int32 values. */
export function base64ToInt32(text: string): Int32Array | null {
  const f = base64ToFloat32(text);
  return f ? new Int32Array(f.buffer) : null;
}
