import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../processAlive.js';
import { ConversionError } from './errors.js';

/** Temporary folder (in onnx/) where one graph is written before installGraphFiles moves it in. */
export function graphScratchDir(onnxDir: string, file: string): string {
  return join(onnxDir, `.${file}.partial-${process.pid}-${Date.now()}`);
}

interface ProtoField {
  field: number;
  /** Varint fields: the value; length-delimited: the byte range of the payload. */
  value: number;
  start: number;
  end: number;
}

/** The fields of one protobuf message in bytes [start, end) of an open file, payloads skipped, not read. */
function* protoFields(fd: number, start: number, end: number): Generator<ProtoField> {
  const buf = Buffer.alloc(10);
  const varint = (at: number): [number, number] => {
    const n = readSync(fd, buf, 0, 10, at);
    let v = 0;
    for (let i = 0, scale = 1; i < n; i++, scale *= 128) {
      v += (buf[i] & 0x7f) * scale;
      if (!(buf[i] & 0x80)) return [v, at + i + 1];
    }
    throw new ConversionError('truncated protobuf varint: the .onnx file is damaged');
  };
  let pos = start;
  while (pos < end) {
    const [key, p] = varint(pos);
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case 0: {
        const [value, next] = varint(p);
        yield { field, value, start: p, end: next };
        pos = next;
        break;
      }
      case 1:
        pos = p + 8;
        break;
      case 2: {
        const [len, body] = varint(p);
        yield { field, value: len, start: body, end: body + len };
        pos = body + len;
        break;
      }
      case 5:
        pos = p + 4;
        break;
      default:
        throw new ConversionError(`unsupported protobuf wire type ${key % 8}: not an ONNX file`);
    }
  }
}

// onnx.proto field numbers: ModelProto.graph, GraphProto.initializer, TensorProto.external_data / data_location.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

/**
 * True when `file` keeps weights in `<file>_data`: some initializer of its main graph says
 * data_location EXTERNAL. Reads only the protobuf's field headers (a few kB of a 1.7 GB file), so
 * it is cheap enough for every load; the side file's mere presence does not tell, since an upgrade
 * killed between its renames leaves a new `_data` beside the old embedded graph.
 */
export function hasMappedWeights(file: string): boolean {
  if (!existsSync(file) || !existsSync(`${file}_data`)) return false;
  const fd = openSync(file, 'r');
  try {
    return readsExternalData(fd);
  } catch (e) {
    // A damaged file: the loader that opens it says which and why.
    if (e instanceof ConversionError) return false;
    throw e;
  } finally {
    closeSync(fd);
  }
}

function readsExternalData(fd: number): boolean {
  for (const g of protoFields(fd, 0, fstatSync(fd).size)) {
    if (g.field !== MODEL_GRAPH) continue;
    for (const init of protoFields(fd, g.start, g.end)) {
      if (init.field !== GRAPH_INITIALIZER) continue;
      for (const t of protoFields(fd, init.start, init.end)) {
        if (t.field === TENSOR_EXTERNAL_DATA || (t.field === TENSOR_DATA_LOCATION && t.value === 1)) return true;
      }
    }
  }
  return false;
}

/**
 * Moves `file` (and its `<file>_data`, if written) from `scratch` into `onnxDir`, replacing a graph
 * of that name, ordered so that a kill at any point leaves onnx/ with the old graph whole, the new
 * one whole, or no graph of that name; never a graph beside another write's weights:
 * 1. an old graph that reads `<file>_data` is moved out first (its side file is about to change);
 *    an old embedded graph stays: it reads nothing from the side file;
 * 2. the new `<file>_data` goes in (or an old one goes, when the new graph has none);
 * 3. the new graph goes in.
 * A side file left without its graph by a kill is removed by removeStaleGraphFiles.
 * Returns the names installed.
 */
export function installGraphFiles(scratch: string, file: string, onnxDir: string): string[] {
  const dst = join(onnxDir, file);
  const data = `${file}_data`;
  if (hasMappedWeights(dst)) renameSync(dst, join(scratch, `.replaced-${file}`));
  const installed: string[] = [];
  if (existsSync(join(scratch, data))) {
    renameSync(join(scratch, data), join(onnxDir, data));
    installed.push(data);
  }
  renameSync(join(scratch, file), dst);
  installed.unshift(file);
  if (!installed.includes(data)) rmSync(join(onnxDir, data), { force: true });
  return installed;
}

/**
 * Removes what a killed conversion left in onnx/: scratch folders of processes that are gone
 * (a synchronous build cannot clean up on SIGINT), and a decoder's `_data` with no graph beside
 * it, or beside an embedded one (installGraphFiles stopped between its renames).
 */
export function removeStaleGraphFiles(onnxDir: string): void {
  for (const f of readdirSync(onnxDir)) {
    const m = /^\.decoder_model_kvbuffer.*\.partial-(\d+)-\d+$/.exec(f);
    if (m && !processAlive(Number(m[1]))) rmSync(join(onnxDir, f), { recursive: true, force: true });
    const data = /^(decoder_model_kvbuffer.*\.onnx)_data$/.exec(f);
    if (data && !hasMappedWeights(join(onnxDir, data[1]))) rmSync(join(onnxDir, f), { force: true });
  }
}
