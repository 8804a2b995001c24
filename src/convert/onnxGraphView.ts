import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { onnx as onnxTypes } from 'onnx-proto';
import { ConversionError, UnsupportedDtypeError } from './errors.js';
import { onnxTypes as onnx } from './graph.js';

/** A constant tensor of a graph (initializer or Constant node), decoded on demand. */
export interface ConstTensor {
  dims: number[];
  type: 'float32' | 'int8' | 'uint8' | 'int64';
  data: Float32Array | Int8Array | Uint8Array | BigInt64Array;
}

export interface ViewNode {
  opType: string;
  domain: string;
  /** Inputs with Identity chains resolved ("" = absent optional input). */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, onnxTypes.IAttributeProto>;
}

const TYPE_BY_CODE: Record<number, ConstTensor['type']> = { 1: 'float32', 2: 'uint8', 3: 'int8', 7: 'int64' };

/**
 * A read-only data-flow view of an ONNX model for weight extraction: every `If` is replaced by
 * its else branch (a merged decoder's first step, `use_cache_branch = false`, which computes
 * everything including the cross-attention keys), Identity chains are resolved, and producers,
 * consumers and constants are indexed by value name.
 */
export class OnnxGraphView {
  readonly nodes: ViewNode[] = [];
  readonly graphInputs = new Set<string>();
  /** Graph output name -> the value it carries (Identity resolved). */
  readonly outputs = new Map<string, string>();
  private readonly alias = new Map<string, string>();
  private readonly producers = new Map<string, ViewNode>();
  private readonly consumerMap = new Map<string, ViewNode[]>();
  private readonly constProtos = new Map<string, onnxTypes.ITensorProto>();
  private readonly decoded = new Map<string, ConstTensor>();

  private constructor(
    readonly path: string,
    model: onnxTypes.ModelProto,
  ) {
    const graph = model.graph;
    if (!graph) throw new ConversionError(`${path}: not an ONNX model (no graph)`);
    const raw: ViewNode[] = [];
    this.flatten(graph, raw);
    for (const i of graph.input ?? []) if (i.name) this.graphInputs.add(i.name);
    for (const n of raw) {
      if (n.opType === 'Identity' && n.domain === '') this.alias.set(n.outputs[0], n.inputs[0]);
    }
    for (const n of raw) {
      if (n.opType === 'Identity' && n.domain === '') continue;
      const node = { ...n, inputs: n.inputs.map((v) => (v ? this.resolve(v) : v)) };
      this.nodes.push(node);
      for (const o of node.outputs) {
        if (this.producers.has(o)) throw new ConversionError(`${path}: value "${o}" is produced twice; this graph layout is not supported`);
        this.producers.set(o, node);
      }
      for (const v of node.inputs) {
        if (!v) continue;
        const list = this.consumerMap.get(v) ?? [];
        list.push(node);
        this.consumerMap.set(v, list);
      }
    }
    for (const o of graph.output ?? []) if (o.name) this.outputs.set(o.name, this.resolve(o.name));
  }

  /** Reads a model file (and its external data side file, if any). */
  static read(path: string): OnnxGraphView {
    const model = onnx.ModelProto.decode(readFileSync(path));
    return new OnnxGraphView(path, model);
  }

  private flatten(g: onnxTypes.IGraphProto, out: ViewNode[]): void {
    for (const t of g.initializer ?? []) if (t.name) this.constProtos.set(t.name, t);
    for (const n of g.node ?? []) {
      const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', a]));
      if (n.opType === 'If') {
        const branch = attrs.get('else_branch')?.g;
        if (!branch) throw new ConversionError(`${this.path}: If node without an else branch`);
        this.flatten(branch, out);
        (n.output ?? []).forEach((o, j) => {
          const from = branch.output?.[j]?.name;
          if (from) out.push({ opType: 'Identity', domain: '', inputs: [from], outputs: [o], attrs: new Map() });
        });
        continue;
      }
      if (n.opType === 'Constant' && attrs.get('value')?.t) {
        this.constProtos.set(n.output?.[0] ?? '', attrs.get('value')!.t!);
        continue;
      }
      out.push({ opType: n.opType ?? '', domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs });
    }
  }

  /** The value a name carries after following Identity nodes. */
  resolve(name: string): string {
    let v = name;
    for (let guard = 0; this.alias.has(v) && guard < 1000; guard++) v = this.alias.get(v)!;
    return v;
  }

  producer(value: string): ViewNode | undefined {
    return this.producers.get(this.resolve(value));
  }

  consumers(value: string): ViewNode[] {
    return this.consumerMap.get(this.resolve(value)) ?? [];
  }

  isConst(value: string): boolean {
    return this.constProtos.has(this.resolve(value));
  }

  /** A constant's dims and element type without decoding it; null when the value is computed. */
  constMeta(value: string): { dims: number[]; type: ConstTensor['type'] | null } | null {
    const t = this.constProtos.get(this.resolve(value));
    return t ? { dims: (t.dims ?? []).map(Number), type: TYPE_BY_CODE[t.dataType ?? 0] ?? null } : null;
  }

  /** A constant's values; null when the value is computed. */
  constant(value: string): ConstTensor | null {
    const name = this.resolve(value);
    const cached = this.decoded.get(name);
    if (cached) return cached;
    const t = this.constProtos.get(name);
    if (!t) return null;
    const c = this.decode(t);
    this.decoded.set(name, c);
    return c;
  }

  /** Forgets decoded copies (the caller has consumed them): keeps peak memory near one model. */
  release(value: string): void {
    this.decoded.delete(this.resolve(value));
  }

  private decode(t: onnxTypes.ITensorProto): ConstTensor {
    const code = t.dataType ?? 0;
    const type = TYPE_BY_CODE[code];
    if (!type) throw new UnsupportedDtypeError(`${this.path}: tensor "${t.name}" has ONNX data type ${code}; only float32 and 8-bit integer weights are read`);
    const dims = (t.dims ?? []).map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    let bytes: Uint8Array | null = null;
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) bytes = this.readExternal(t);
    else if (t.rawData && t.rawData.length > 0) bytes = t.rawData;
    if (bytes) {
      // Copy: protobuf views are not aligned for typed arrays.
      const copy = new Uint8Array(bytes);
      const data =
        type === 'float32'
          ? new Float32Array(copy.buffer, 0, count)
          : type === 'int64'
            ? new BigInt64Array(copy.buffer, 0, count)
            : type === 'int8'
              ? new Int8Array(copy.buffer, 0, count)
              : copy.subarray(0, count);
      return { dims, type, data };
    }
    if (type === 'float32') return { dims, type, data: Float32Array.from(t.floatData ?? []) };
    if (type === 'int64') return { dims, type, data: BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v)))) };
    const ints = t.int32Data ?? [];
    return { dims, type, data: type === 'int8' ? Int8Array.from(ints) : Uint8Array.from(ints) };
  }

  private readExternal(t: onnxTypes.ITensorProto): Uint8Array {
    const info = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = info.get('location');
    if (!location) throw new ConversionError(`${this.path}: external tensor "${t.name}" has no location`);
    const offset = Number(info.get('offset') ?? 0);
    const length = Number(info.get('length') ?? 0);
    const out = new Uint8Array(length);
    const fd = openSync(join(dirname(this.path), location), 'r');
    try {
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new ConversionError(`${this.path}: ${location} ends before tensor "${t.name}"`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }
}
