import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads the metadata_props of an .onnx file without parsing its graph: walks the top-level
 * protobuf fields of ModelProto and seeks past the (possibly gigabyte-sized) graph field.
 */
export function readOnnxMetadata(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  let pos = 0;
  const byte = Buffer.alloc(1);
  const readByte = (): number => {
    if (readSync(fd, byte, 0, 1, pos) !== 1) throw new Error(`${path}: truncated ONNX file`);
    pos++;
    return byte[0];
  };
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = readByte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  const readBytes = (n: number): Buffer => {
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, pos);
    pos += n;
    return buf;
  };
  const out: Record<string, string> = {};
  try {
    const size = fstatSync(fd).size;
    while (pos < size) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const len = varint();
        if (field === 14) Object.assign(out, parseEntry(readBytes(len)));
        else pos += len;
      } else throw new Error(`${path}: not an ONNX model (wire type ${wire})`);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** StringStringEntryProto: key = field 1, value = field 2. */
function parseEntry(buf: Buffer): Record<string, string> {
  let p = 0;
  let key = '';
  let value = '';
  const varint = (): number => {
    let r = 0;
    let m = 1;
    for (;;) {
      const b = buf[p++];
      r += (b & 0x7f) * m;
      if (b < 0x80) return r;
      m *= 128;
    }
  };
  while (p < buf.length) {
    const k = varint();
    const len = varint();
    const s = buf.subarray(p, p + len).toString('utf8');
    p += len;
    if (k >> 3 === 1) key = s;
    else if (k >> 3 === 2) value = s;
  }
  return { [key]: value };
}
