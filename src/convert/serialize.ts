import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { onnx as onnxTypes } from 'onnx-proto';
import { ElemType, onnxTypes as onnx, type AttrValue, type Initializer, type OnnxGraph } from './graph.js';

/** Opset of every graph we write: LayerNormalization needs 17; onnxruntime-node 1.30 runs it. */
export const OPSET = 17;

/** protobuf messages cannot exceed 2 GiB: bigger models keep their weights in a side file. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** Initializers smaller than this stay inline even in external-data mode (shapes, scalars). */
const EXTERNAL_MIN_BYTES = 1024;

export interface SerializeOptions {
  /** Free-form metadata_props (model facts that tools can read without running the graph). */
  metadata?: Record<string, string>;
  /** Force weights into `<file>_data` even when the model is small (tests of the code path). */
  forceExternalData?: boolean;
  /**
   * Exactly these initializers (of >= 1 kB) go to `<file>_data`, whatever the model's size; the
   * rest stay inside the .onnx file (the decoder: convert/mappedWeights.ts).
   */
  externalWeights?: ReadonlySet<string>;
}

function tensorBytes(t: Initializer): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function encodeAttr(name: string, a: AttrValue, external: ExternalSink | null): onnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'graph':
      return { name, type: T.GRAPH, g: encodeGraph(a.value, external) };
  }
}

function valueInfo(v: { name: string; type: keyof typeof ElemType; dims: (number | string)[] }): onnxTypes.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ElemType[v.type],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Collects external tensor bytes in file order while the protobuf is built. */
export class ExternalSink {
  readonly chunks: Uint8Array[] = [];
  offset = 0;
  constructor(
    readonly location: string,
    /** Which initializers move (null: every one of >= 1 kB). */
    private readonly only: ReadonlySet<string> | null = null,
  ) {}
  takes(name: string, bytes: number): boolean {
    return bytes >= EXTERNAL_MIN_BYTES && (this.only === null || this.only.has(name));
  }
  add(bytes: Uint8Array): { offset: number; length: number } {
    // 64-byte alignment lets onnxruntime map the data without copies.
    const pad = (64 - (this.offset % 64)) % 64;
    if (pad) {
      this.chunks.push(new Uint8Array(pad));
      this.offset += pad;
    }
    const at = this.offset;
    this.chunks.push(bytes);
    this.offset += bytes.byteLength;
    return { offset: at, length: bytes.byteLength };
  }
  /** The TensorProto fields that point at `bytes`, appended to the side file. */
  reference(bytes: Uint8Array): Pick<onnxTypes.ITensorProto, 'dataLocation' | 'externalData'> {
    const { offset, length } = this.add(bytes);
    return {
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    };
  }
}

function encodeTensor(t: Initializer, external: ExternalSink | null): onnxTypes.ITensorProto {
  const bytes = tensorBytes(t);
  const base = { name: t.name, dims: t.dims, dataType: ElemType[t.type] };
  if (external?.takes(t.name, bytes.byteLength)) return { ...base, ...external.reference(bytes) };
  return { ...base, rawData: bytes };
}

function encodeGraph(g: OnnxGraph, external: ExternalSink | null): onnxTypes.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      opType: n.opType,
      domain: n.domain,
      name: n.name,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, v]) => encodeAttr(k, v, external)),
    })),
    initializer: g.initializers.map((t) => encodeTensor(t, external)),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  };
}

function totalInitializerBytes(g: OnnxGraph): number {
  let n = 0;
  for (const t of g.initializers) n += t.data.byteLength;
  for (const node of g.nodes) {
    for (const a of Object.values(node.attrs)) if (a.kind === 'graph') n += totalInitializerBytes(a.value);
  }
  return n;
}

export interface SerializedModel {
  /** The ModelProto bytes. */
  model: Uint8Array;
  /** Weight bytes for `<name>_data` when external data is used, in file order. */
  externalChunks: Uint8Array[] | null;
  externalFileName: string | null;
}

/** Builds the ModelProto of `graph`; `fileName` is the .onnx name it will be saved under. */
export function serializeModel(graph: OnnxGraph, fileName: string, opts: SerializeOptions = {}): SerializedModel {
  const useExternal = opts.forceExternalData || opts.externalWeights !== undefined || totalInitializerBytes(graph) > PROTOBUF_LIMIT * 0.9;
  const externalFileName = useExternal ? `${basename(fileName)}_data` : null;
  const only = opts.forceExternalData ? null : (opts.externalWeights ?? null);
  const sink = externalFileName ? new ExternalSink(externalFileName, only) : null;
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'musicgen-ts',
    producerVersion: '0.1.0',
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: encodeGraph(graph, sink),
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  const model = onnx.ModelProto.encode(proto).finish();
  // Nothing large enough to move (tiny test graphs): no side file.
  if (!sink || sink.offset === 0) return { model, externalChunks: null, externalFileName: null };
  return { model, externalChunks: sink.chunks, externalFileName };
}

export function writeChunks(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += writeSync(fd, c, done, c.byteLength - done);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes `<path>` (and `<path>_data` when needed). The caller owns atomicity (temp folder). */
export function writeOnnxModel(path: string, graph: OnnxGraph, opts: SerializeOptions = {}): void {
  const s = serializeModel(graph, path, opts);
  writeChunks(path, [s.model]);
  if (s.externalChunks && s.externalFileName) writeChunks(`${path}_data`, s.externalChunks);
}
