import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertCheckpoint } from '../../src/convert/modelFolder.js';
import { SafetensorsFile } from '../../src/convert/safetensors.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2 } from '../helpers/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'mg-shards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Dtype = 'F32' | 'F16' | 'BF16';

/** float32 -> IEEE half (round to nearest even), written independently of the reader's decoder. */
function toF16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    if ((mant >>> (shift - 1)) & 1 && ((mant & ((1 << (shift - 1)) - 1)) !== 0 || h & 1)) h++;
    return sign | h;
  }
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  if ((mant & 0x1000) && ((mant & 0xfff) !== 0 || h & 1)) h++;
  return h;
}

function toBf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
}

/** Writes the musicgen-tiny weights as `shards` safetensors files in `dtype` plus the HF index. */
function writeSharded(dir: string, dtype: Dtype, shards: number): void {
  mkdirSync(dir, { recursive: true });
  const src = new SafetensorsFile(join(fixtureCheckpointDir('musicgen-tiny'), 'model.safetensors'));
  copyFileSync(join(fixtureCheckpointDir('musicgen-tiny'), 'config.json'), join(dir, 'config.json'));
  const names = [...src.entries.keys()].sort();
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const mine = names.filter((_, i) => i % shards === s);
    const header: Record<string, unknown> = {};
    const blobs: Buffer[] = [];
    let offset = 0;
    for (const name of mine) {
      const t = src.read(name);
      let bytes: Buffer;
      if (dtype === 'F32') bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      else {
        const half = Uint16Array.from(t.data, dtype === 'F16' ? toF16 : toBf16);
        bytes = Buffer.from(half.buffer);
      }
      header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
      offset += bytes.length;
      blobs.push(bytes);
      weightMap[name] = file;
    }
    let json = JSON.stringify(header);
    while (json.length % 8) json += ' ';
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(dir, file), Buffer.concat([len, Buffer.from(json), ...blobs]));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

async function encoderError(folder: string): Promise<number> {
  const enc = await ort.InferenceSession.create(join(folder, 'onnx', 'text_encoder.onnx'));
  const ids = fixtureI64('musicgen-tiny', 'text.input_ids');
  const mask = fixtureI64('musicgen-tiny', 'text.attention_mask');
  const t = (d: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(d, (v) => BigInt(v)), dims);
  const out = await enc.run({ input_ids: t(ids.data, ids.shape), attention_mask: t(mask.data, mask.shape) });
  return relL2(out.last_hidden_state.data as Float32Array, fixtureF32('musicgen-tiny', 'text_encoder.last_hidden_state').data);
}

describe('sharded and half-precision checkpoints', () => {
  it.each([
    ['F32', 3, 1e-4],
    ['F16', 2, 5e-3],
    ['BF16', 2, 3e-2],
  ] as const)('%s weights in %i shards convert and stay within %f of PyTorch', async (dtype, shards, tol) => {
    const ckpt = join(work, `ckpt-${dtype}`);
    writeSharded(ckpt, dtype, shards);
    const out = join(work, `out-${dtype}`);
    convertCheckpoint(ckpt, out);
    const err = await encoderError(out);
    process.stdout.write(`[shards] ${dtype} x${shards}: text encoder relative L2 vs PyTorch ${err.toExponential(2)}\n`);
    expect(err).toBeLessThan(tol);
    if (dtype !== 'F32') expect(err).toBeGreaterThan(1e-6); // really read as half precision
  });
});
