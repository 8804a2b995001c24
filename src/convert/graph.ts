import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types used by the MusicGen graphs (values of TensorProto.DataType). */
export const ElemType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
} as const;
export type ElemTypeName = keyof typeof ElemType;

/** A symbolic ("batch") or fixed dimension of a graph input or output. */
export type Dim = number | string;

/** Typed attribute values; ints and floats are tagged because JavaScript numbers are both. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'graph'; value: OnnxGraph };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  graph: (value: OnnxGraph): AttrValue => ({ kind: 'graph', value }),
};

export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;

/** An initializer (weight or constant) held until the model is serialised. */
export interface Initializer {
  name: string;
  type: ElemTypeName;
  dims: number[];
  data: TensorData;
}

interface ValueInfo {
  name: string;
  type: ElemTypeName;
  dims: Dim[];
}

interface NodeSpec {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** Shared name counter so subgraphs never reuse a name of their parent (ONNX scoping rule). */
class NameAllocator {
  private counts = new Map<string, number>();
  next(hint: string): string {
    const n = this.counts.get(hint) ?? 0;
    this.counts.set(hint, n + 1);
    return `${hint}_${n}`;
  }
}

/**
 * A mutable ONNX graph under construction. Methods add nodes and return the names of the values
 * they produce, so model builders read like the PyTorch forward they port. Subgraphs (If
 * branches) share the allocator and may refer to any value of their enclosing graph.
 */
export class OnnxGraph {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly names: NameAllocator;

  constructor(
    readonly name: string,
    parent?: OnnxGraph,
  ) {
    this.names = parent ? parent.names : new NameAllocator();
  }

  fresh(hint: string): string {
    return this.names.next(hint);
  }

  /** A child graph for an If/Loop body; its outputs are declared with `output`. */
  subgraph(name: string): OnnxGraph {
    return new OnnxGraph(name, this);
  }

  input(name: string, type: ElemTypeName, dims: Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  /**
   * Declares `value` as a graph output called `name`. The value always goes through an Identity
   * so an output never aliases an input, an initializer or an outer-scope value (onnxruntime
   * rejects or mishandles those, notably in If branches).
   */
  output(value: string, name: string, type: ElemTypeName, dims: Dim[]): void {
    this.nodes.push({ opType: 'Identity', domain: '', name: this.fresh('out'), inputs: [value], outputs: [name], attrs: {} });
    this.outputs.push({ name, type, dims });
  }

  /** Adds a weight; the name is made unique and returned. */
  weight(hint: string, type: ElemTypeName, dims: number[], data: TensorData): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`initializer ${hint}: ${data.length} values for dims [${dims.join(', ')}]`);
    }
    const name = this.fresh(hint);
    this.initializers.push({ name, type, dims, data });
    return name;
  }

  constF32(values: ArrayLike<number>, dims: number[] = [values.length], hint = 'c'): string {
    return this.weight(hint, 'float32', dims, Float32Array.from(values));
  }

  constI64(values: ArrayLike<number>, dims: number[] = [values.length], hint = 'c'): string {
    return this.weight(hint, 'int64', dims, BigInt64Array.from(Array.from(values), (v) => BigInt(v)));
  }

  scalarF32(value: number): string {
    return this.constF32([value], [], 'scalar');
  }

  scalarI64(value: number): string {
    return this.constI64([value], [], 'scalar');
  }

  /** Adds a node with `nOut` outputs and returns their names. Empty input names mean "absent". */
  nodeN(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOut = 1, domain = ''): string[] {
    const base = opType.toLowerCase();
    const outputs = Array.from({ length: nOut }, () => this.fresh(base));
    this.nodes.push({ opType, domain, name: this.fresh(`n_${base}`), inputs, outputs, attrs });
    return outputs;
  }

  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.nodeN(opType, inputs, attrs, 1, domain)[0];
  }

  // ---- thin op helpers (opset 17 semantics) ----

  add(a: string, b: string): string {
    return this.node('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.node('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.node('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.node('Div', [a, b]);
  }
  matMul(a: string, b: string): string {
    return this.node('MatMul', [a, b]);
  }
  /** x @ W^T + b for a PyTorch Linear whose weight was stored transposed ([in, out]). */
  linear(x: string, weightT: string, bias?: string): string {
    const y = this.matMul(x, weightT);
    return bias ? this.add(y, bias) : y;
  }
  relu(x: string): string {
    return this.node('Relu', [x]);
  }
  elu(x: string, alpha = 1): string {
    return this.node('Elu', [x], { alpha: attr.float(alpha) });
  }
  /** Exact (erf) GELU as torch.nn.functional.gelu. */
  gelu(x: string): string {
    const inner = this.node('Erf', [this.mul(x, this.scalarF32(Math.SQRT1_2))]);
    return this.mul(this.mul(x, this.scalarF32(0.5)), this.add(inner, this.scalarF32(1)));
  }
  sqrt(x: string): string {
    return this.node('Sqrt', [x]);
  }
  neg(x: string): string {
    return this.node('Neg', [x]);
  }
  softmax(x: string, axis = -1): string {
    return this.node('Softmax', [x], { axis: attr.int(axis) });
  }
  layerNorm(x: string, weight: string, bias: string, eps: number): string {
    return this.node('LayerNormalization', [x, weight, bias], { axis: attr.int(-1), epsilon: attr.float(eps) });
  }
  reduceMean(x: string, axes: number[], keepdims = true): string {
    return this.node('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }
  reshape(x: string, shape: number[] | string): string {
    const s = typeof shape === 'string' ? shape : this.constI64(shape, [shape.length], 'shape');
    return this.node('Reshape', [x, s]);
  }
  transpose(x: string, perm: number[]): string {
    return this.node('Transpose', [x], { perm: attr.ints(perm) });
  }
  unsqueeze(x: string, axes: number[]): string {
    return this.node('Unsqueeze', [x, this.constI64(axes, [axes.length], 'axes')]);
  }
  squeeze(x: string, axes: number[]): string {
    return this.node('Squeeze', [x, this.constI64(axes, [axes.length], 'axes')]);
  }
  concat(xs: string[], axis: number): string {
    return this.node('Concat', xs, { axis: attr.int(axis) });
  }
  gather(data: string, indices: string, axis = 0): string {
    return this.node('Gather', [data, indices], { axis: attr.int(axis) });
  }
  shape(x: string, start?: number, end?: number): string {
    const attrs: Record<string, AttrValue> = {};
    if (start !== undefined) attrs.start = attr.int(start);
    if (end !== undefined) attrs.end = attr.int(end);
    return this.node('Shape', [x], attrs);
  }
  /** One dimension of x as an int64 scalar. */
  dim(x: string, axis: number): string {
    return this.squeeze(this.shape(x, axis, axis + 1), [0]);
  }
  cast(x: string, to: ElemTypeName): string {
    return this.node('Cast', [x], { to: attr.int(ElemType[to]) });
  }
  slice(x: string, starts: string, ends: string, axes: number[]): string {
    return this.node('Slice', [x, starts, ends, this.constI64(axes, [axes.length], 'axes')]);
  }
  range(start: string, limit: string, delta: string): string {
    return this.node('Range', [start, limit, delta]);
  }
  where(cond: string, a: string, b: string): string {
    return this.node('Where', [cond, a, b]);
  }
}

export const onnxTypes = onnx;
