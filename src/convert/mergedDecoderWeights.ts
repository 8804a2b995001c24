import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { cacheNames } from './decoderGraph.js';
import { ConversionError } from './errors.js';
import { type ConstTensor, OnnxGraphView, type ViewNode } from './onnxGraphView.js';
import { sinusoidalPositions } from './randomWeights.js';
import type { Tensor, WeightSource } from './weights.js';

/**
 * A weight multiplication found in the graph: out = x @ W, W [rows = in, cols = out]. `weight`
 * returns W in float32, dequantised when the graph holds it as int8 / uint8.
 */
interface Linear {
  x: string;
  out: string;
  rows: number;
  cols: number;
  weight: () => Float32Array;
  /** Quantised weights: the int8 / uint8 grid each column was stored on. */
  grid?: () => QuantGrid;
  /** Nodes that make up this multiplication (quantised forms have several). */
  nodes: ViewNode[];
}

/**
 * Per-column scale and zero point of a quantised [in, out] weight: w = (q - zero) * scale with q
 * int8 (`signed`) or uint8. Knowing it, the exact q is recovered from the dequantised weights.
 */
export interface QuantGrid {
  scale: Float32Array;
  zero: Float32Array;
  signed: boolean;
}

function floats(c: ConstTensor): Float32Array {
  if (c.data instanceof Float32Array) return c.data;
  if (c.data instanceof BigInt64Array) return Float32Array.from(c.data, Number);
  return Float32Array.from(c.data);
}

/** (q - zeroPoint) * scale for a [rows, cols] matrix; scale / zero point per tensor or per column. */
function dequantize(q: ConstTensor, scale: ConstTensor, zero: ConstTensor | null): Float32Array {
  const [rows, cols] = q.dims;
  const s = floats(scale);
  const z = zero ? floats(zero) : new Float32Array(1);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const sc = s.length === 1 ? s[0] : s[c];
      const zp = z.length === 1 ? z[0] : z[c];
      out[r * cols + c] = (Number(q.data[r * cols + c]) - zp) * sc;
    }
  }
  return out;
}

/**
 * Reads the decoder weights out of a `decoder_model_merged` graph by data flow, not by
 * initializer names (exporters name them differently: ours, optimum's `onnx::MatMul_123`):
 * the graph outputs `present.{i}.decoder.key` and friends lead back to each layer's projections,
 * and the residual stream from one layer's input leads to the rest. Understands float32 MatMul,
 * our q8 (com.microsoft DynamicQuantizeMatMul) and onnxruntime's dynamic quantisation
 * (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul), fused or decomposed LayerNorm.
 * The result is a WeightSource with Hugging Face state-dict names, for buildDecoderGraph.
 */
export class MergedDecoderWeights implements WeightSource {
  readonly origin: string;
  private readonly tensors = new Map<string, { shape: number[]; read: () => Float32Array }>();
  private readonly grids = new Map<string, () => QuantGrid>();
  private readonly linearByOut = new Map<string, Linear>();
  private readonly linearsByX = new Map<string, Linear[]>();
  private readonly linearNodes = new Set<ViewNode>();

  constructor(
    private readonly g: OnnxGraphView,
    private readonly config: MusicgenModelConfig,
  ) {
    this.origin = g.path;
    for (const n of g.nodes) {
      const lin = this.linearAt(n);
      if (!lin) continue;
      this.linearByOut.set(lin.out, lin);
      const list = this.linearsByX.get(lin.x) ?? [];
      list.push(lin);
      this.linearsByX.set(lin.x, list);
      lin.nodes.forEach((m) => this.linearNodes.add(m));
    }
    this.mapDecoder();
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The quantisation grid of a Linear weight (HF name) the graph stores as int8 / uint8, else null. */
  grid(name: string): QuantGrid | null {
    return this.grids.get(name)?.() ?? null;
  }

  /** Every state-dict name found, e.g. to compare with a checkpoint. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  read(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new ConversionError(`${this.origin}: no tensor "${name}" was found in the merged decoder`);
    return { data: t.read(), shape: t.shape };
  }

  private fail(what: string): never {
    throw new ConversionError(`${this.origin}: cannot read the merged decoder (${what}); rebuild the folder from its checkpoint with musicgen convert`);
  }

  private set(name: string, shape: number[], read: () => Float32Array): void {
    this.tensors.set(name, { shape, read });
  }

  /** Linear weight [out, in] as HF stores it, from the graph's [in, out]. */
  private setLinear(name: string, lin: Linear): void {
    if (lin.grid) this.grids.set(`${name}.weight`, lin.grid);
    this.set(`${name}.weight`, [lin.cols, lin.rows], () => {
      const w = lin.weight();
      const t = new Float32Array(w.length);
      for (let r = 0; r < lin.rows; r++) for (let c = 0; c < lin.cols; c++) t[c * lin.rows + r] = w[r * lin.cols + c];
      return t;
    });
  }

  /** A float32 constant, not kept decoded in the view: each weight is read once by the builder. */
  private take(value: string): Float32Array {
    const data = floats(this.g.constant(value)!);
    this.g.release(value);
    return data;
  }

  private dequantized(q: string, scale: string, zero: string | undefined): Float32Array {
    const data = dequantize(this.g.constant(q)!, this.g.constant(scale)!, zero ? this.g.constant(zero) : null);
    this.g.release(q);
    return data;
  }

  /** Scale and zero point (per tensor or per column) expanded to one per column. */
  private gridOf(type: ConstTensor['type'] | null, cols: number, scale: string, zero: string | undefined): QuantGrid {
    const s = floats(this.g.constant(scale)!);
    const z = zero ? floats(this.g.constant(zero)!) : new Float32Array(1);
    return {
      scale: Float32Array.from({ length: cols }, (_, c) => (s.length === 1 ? s[0] : s[c])),
      zero: Float32Array.from({ length: cols }, (_, c) => (z.length === 1 ? z[0] : z[c])),
      signed: type === 'int8',
    };
  }

  // ---- recognising weight multiplications ----

  /** A 2-D constant, looking through a Transpose (some exporters keep Linear weights [out, in]). */
  private matrix(value: string): { read: () => Float32Array; rows: number; cols: number } | null {
    const c = this.g.constMeta(value);
    if (c && c.type === 'float32' && c.dims.length === 2) {
      return { rows: c.dims[0], cols: c.dims[1], read: () => this.take(value) };
    }
    const p = this.g.producer(value);
    if (p?.opType === 'Transpose') {
      const inner = this.matrix(p.inputs[0]);
      if (!inner) return null;
      return {
        rows: inner.cols,
        cols: inner.rows,
        read: () => {
          const w = inner.read();
          const t = new Float32Array(w.length);
          for (let r = 0; r < inner.rows; r++) for (let col = 0; col < inner.cols; col++) t[col * inner.rows + r] = w[r * inner.cols + col];
          return t;
        },
      };
    }
    return null;
  }

  private linearAt(n: ViewNode): Linear | null {
    const g = this.g;
    if (n.opType === 'MatMul' && n.domain === '') {
      const m = this.matrix(n.inputs[1]);
      return m ? { x: n.inputs[0], out: n.outputs[0], rows: m.rows, cols: m.cols, weight: m.read, nodes: [n] } : null;
    }
    if (n.opType === 'DynamicQuantizeMatMul' && n.domain === 'com.microsoft') {
      const q = g.constMeta(n.inputs[1]);
      if (!q || q.dims.length !== 2 || n.inputs[4]) return null;
      const dims = q.dims;
      const read = (): Float32Array => this.dequantized(n.inputs[1], n.inputs[2], n.inputs[3]);
      const grid = (): QuantGrid => this.gridOf(q.type, dims[1], n.inputs[2], n.inputs[3]);
      return { x: n.inputs[0], out: n.outputs[0], rows: dims[0], cols: dims[1], weight: read, grid, nodes: [n] };
    }
    // onnxruntime quantize_dynamic: Mul(Cast(MatMulInteger(DQL(x).y, Wq, DQL(x).zp, Wzp)), Mul(DQL(x).scale, Wscale))
    if (n.opType === 'Mul' && n.domain === '') {
      for (const [a, b] of [
        [0, 1],
        [1, 0],
      ]) {
        const cast = g.producer(n.inputs[a]);
        const mmi = cast?.opType === 'Cast' ? g.producer(cast.inputs[0]) : undefined;
        const scaleMul = g.producer(n.inputs[b]);
        if (!cast || mmi?.opType !== 'MatMulInteger' || scaleMul?.opType !== 'Mul') continue;
        const dql = g.producer(mmi.inputs[0]);
        const q = g.constMeta(mmi.inputs[1]);
        const scaleName = scaleMul.inputs.find((v) => g.isConst(v));
        if (dql?.opType !== 'DynamicQuantizeLinear' || !q || q.dims.length !== 2 || !scaleName) continue;
        const dims = q.dims;
        const zpName = mmi.inputs[3];
        const read = (): Float32Array => this.dequantized(mmi.inputs[1], scaleName, zpName);
        const grid = (): QuantGrid => this.gridOf(q.type, dims[1], scaleName, zpName);
        return { x: dql.inputs[0], out: n.outputs[0], rows: dims[0], cols: dims[1], weight: read, grid, nodes: [n, cast, mmi, scaleMul, dql] };
      }
    }
    return null;
  }

  // ---- tracing ----

  /** The weight multiplications a value is computed from, not looking past the first one on each path. */
  private backToLinears(value: string): Linear[] {
    const found = new Set<Linear>();
    const seen = new Set<string>();
    const queue = [this.g.resolve(value)];
    while (queue.length) {
      const v = queue.shift()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const lin = this.linearByOut.get(v);
      if (lin) {
        found.add(lin);
        continue;
      }
      const p = this.g.producer(v);
      if (!p || SHAPE_OPS.has(p.opType)) continue;
      const data = DATA_INPUT_ONLY.has(p.opType) ? [p.inputs[0]] : p.inputs;
      for (const i of data) if (i && !this.g.isConst(i)) queue.push(i);
    }
    return [...found];
  }

  private oneBack(value: string, what: string): Linear {
    const l = this.backToLinears(value);
    if (l.length !== 1) this.fail(`${what} comes from ${l.length} weight multiplications, expected 1`);
    return l[0];
  }

  /** An Add of two computed values that reads `value`: the residual connection after a sublayer. */
  private residualAdd(value: string): { node: ViewNode; other: string } | null {
    for (const n of this.g.consumers(value)) {
      if (n.opType !== 'Add' || n.inputs.some((i) => this.g.isConst(i))) continue;
      const other = n.inputs[0] === this.g.resolve(value) ? n.inputs[1] : n.inputs[0];
      return { node: n, other };
    }
    return null;
  }

  /** Weight multiplications fed by `value` through a LayerNorm (not across a residual Add). */
  private forwardLinears(value: string): Linear[] {
    const found = new Set<Linear>();
    const seen = new Set<string>();
    const queue = [this.g.resolve(value)];
    while (queue.length) {
      const v = queue.shift()!;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const l of this.linearsByX.get(v) ?? []) found.add(l);
      for (const n of this.g.consumers(v)) {
        if (this.linearNodes.has(n) || SHAPE_OPS.has(n.opType)) continue;
        if (n.opType === 'Add' && n.inputs.every((i) => !this.g.isConst(i))) continue;
        queue.push(...n.outputs);
      }
    }
    return [...found];
  }

  /** The LayerNorm whose output is `value`: its weight, bias and input. */
  private layerNormAt(value: string, what: string): { weight: string; bias: string; input: string } {
    const g = this.g;
    let p = g.producer(value);
    // The melody decoder slices the token positions out of the final LayerNorm's output.
    while (p?.opType === 'Slice') p = g.producer(p.inputs[0]);
    if (p?.opType === 'LayerNormalization') return { input: p.inputs[0], weight: p.inputs[1], bias: p.inputs[2] };
    // Decomposed (opset < 17 exports): Add(Mul(Div(Sub(x, mean), std), gamma), beta).
    if (p?.opType === 'Add') {
      const bias = p.inputs.find((i) => g.isConst(i));
      const mul = g.producer(p.inputs.find((i) => !g.isConst(i)) ?? '');
      const weight = mul?.opType === 'Mul' ? mul.inputs.find((i) => g.isConst(i)) : undefined;
      const div = mul ? g.producer(mul.inputs.find((i) => !g.isConst(i)) ?? '') : undefined;
      const sub = div?.opType === 'Div' ? g.producer(div.inputs[0]) : undefined;
      if (bias && weight && sub?.opType === 'Sub') return { input: sub.inputs[0], weight, bias };
    }
    this.fail(`no LayerNorm before ${what}`);
  }

  private setLayerNorm(name: string, ln: { weight: string; bias: string }): void {
    const hidden = this.config.decoder.hiddenSize;
    const read = (v: string) => (): Float32Array => this.take(v);
    this.set(`${name}.weight`, [hidden], read(ln.weight));
    this.set(`${name}.bias`, [hidden], read(ln.bias));
  }

  /** The bias added right after a multiplication (PyTorch Linear with bias, exported as MatMul + Add). */
  private setBiasAfter(name: string, lin: Linear): void {
    for (const n of this.g.consumers(lin.out)) {
      const b = n.opType === 'Add' ? n.inputs.find((i) => this.g.isConst(i)) : undefined;
      if (b) {
        this.set(`${name}.bias`, [lin.cols], () => this.take(b));
        return;
      }
    }
    this.fail(`no bias after ${name}`);
  }

  private output(name: string): string {
    const v = this.g.outputs.get(name);
    if (!v) this.fail(`no graph output ${name}`);
    return v;
  }

  // ---- the MusicGen decoder ----

  private mapDecoder(): void {
    const c = this.config.decoder;
    const D = 'decoder.model.decoder';
    const melody = this.config.melody;
    const conditioning = (input: string): Linear => {
      const l = this.linearsByX.get(this.g.resolve(input)) ?? [];
      if (l.length !== 1) this.fail(`${input} feeds ${l.length} weight multiplications, expected 1`);
      return l[0];
    };
    const text = conditioning('encoder_hidden_states');
    this.setLinear('enc_to_dec_proj', text);
    this.setBiasAfter('enc_to_dec_proj', text);
    if (melody) {
      const chroma = conditioning('input_features');
      this.setLinear('audio_enc_to_dec_proj', chroma);
      this.setBiasAfter('audio_enc_to_dec_proj', chroma);
    }

    let residual = '';
    for (let i = 0; i < c.numLayers; i++) {
      const L = `${D}.layers.${i}`;
      const n = cacheNames(i);
      const k = this.oneBack(this.output(n.presentKey), n.presentKey);
      const v = this.oneBack(this.output(n.presentValue), n.presentValue);
      const qkv = this.linearsByX.get(k.x) ?? [];
      const q = qkv.filter((l) => l !== k && l !== v);
      if (q.length !== 1 || v.x !== k.x) this.fail(`layer ${i}: self-attention projections do not share one input`);
      const ln1 = this.layerNormAt(k.x, `layer ${i} self-attention`);
      if (i > 0 && this.g.resolve(ln1.input) !== residual) this.fail(`layer ${i} does not read layer ${i - 1}'s output`);
      this.setLayerNorm(`${L}.self_attn_layer_norm`, ln1);
      this.setLinear(`${L}.self_attn.q_proj`, q[0]);
      this.setLinear(`${L}.self_attn.k_proj`, k);
      this.setLinear(`${L}.self_attn.v_proj`, v);
      const sublayer = (input: string, what: string): { out: Linear; next: string } => {
        const add = this.residualAdd(input);
        if (!add) this.fail(`layer ${i}: no residual connection after ${what}`);
        return { out: this.oneBack(add.other, `layer ${i} ${what}`), next: add.node.outputs[0] };
      };
      const self = sublayer(ln1.input, 'self-attention');
      this.setLinear(`${L}.self_attn.out_proj`, self.out);
      residual = self.next;

      if (!melody) {
        const cq = this.forwardLinears(residual);
        if (cq.length !== 1) this.fail(`layer ${i}: ${cq.length} cross-attention queries`);
        this.setLayerNorm(`${L}.encoder_attn_layer_norm`, this.layerNormAt(cq[0].x, `layer ${i} cross-attention`));
        this.setLinear(`${L}.encoder_attn.q_proj`, cq[0]);
        this.setLinear(`${L}.encoder_attn.k_proj`, this.oneBack(this.output(n.presentEncKey), n.presentEncKey));
        this.setLinear(`${L}.encoder_attn.v_proj`, this.oneBack(this.output(n.presentEncValue), n.presentEncValue));
        const cross = sublayer(residual, 'cross-attention');
        this.setLinear(`${L}.encoder_attn.out_proj`, cross.out);
        residual = cross.next;
      }

      const fc1 = this.forwardLinears(residual);
      if (fc1.length !== 1 || fc1[0].cols !== c.ffnDim) this.fail(`layer ${i}: feed-forward input not found`);
      this.setLayerNorm(`${L}.final_layer_norm`, this.layerNormAt(fc1[0].x, `layer ${i} feed-forward`));
      this.setLinear(`${L}.fc1`, fc1[0]);
      const ffn = sublayer(residual, 'feed-forward');
      this.setLinear(`${L}.fc2`, ffn.out);
      residual = ffn.next;
    }

    const heads = this.forwardLinears(residual);
    if (heads.length === 0) this.fail('no LM heads after the last layer');
    this.setLayerNorm(`${D}.layer_norm`, this.layerNormAt(heads[0].x, 'the LM heads'));
    this.mapHeads(heads);
    this.mapEmbeddings();
  }

  /** One fused [hidden, K*V] head (ours) or K heads [hidden, V] in codebook order (optimum). */
  private mapHeads(heads: Linear[]): void {
    const { numCodebooks: K, vocabSize: V, hiddenSize: H } = this.config.decoder;
    if (heads.length === 1 && heads[0].cols === K * V) {
      const fused = heads[0];
      for (let k = 0; k < K; k++) {
        this.set(`decoder.lm_heads.${k}.weight`, [V, H], () => {
          const w = fused.weight();
          const out = new Float32Array(V * H);
          for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) out[v * H + h] = w[h * K * V + k * V + v];
          return out;
        });
        const grid = fused.grid;
        if (grid) {
          this.grids.set(`decoder.lm_heads.${k}.weight`, () => {
            const all = grid();
            return { scale: all.scale.slice(k * V, (k + 1) * V), zero: all.zero.slice(k * V, (k + 1) * V), signed: all.signed };
          });
        }
      }
      return;
    }
    if (heads.length !== K || heads.some((h) => h.cols !== V)) this.fail(`${heads.length} LM heads, expected ${K} of width ${V}`);
    // torch.stack of the heads: each head's output reaches one Concat; its position is the codebook.
    const order = heads.map((h) => ({ h, at: this.concatPosition(h.out) }));
    order.sort((a, b) => a.at - b.at);
    order.forEach(({ h }, k) => this.setLinear(`decoder.lm_heads.${k}`, h));
  }

  private concatPosition(value: string): number {
    let v = this.g.resolve(value);
    for (let hops = 0; hops < 8; hops++) {
      const next = this.g.consumers(v);
      if (next.length !== 1) break;
      if (next[0].opType === 'Concat') return next[0].inputs.indexOf(v);
      v = next[0].outputs[0];
    }
    this.fail('the LM heads are not stacked in a recognisable order');
  }

  /** Token tables [V+1, hidden] (one per codebook, ordered by the column of input_ids they read) and the position table. */
  private mapEmbeddings(): void {
    const { numCodebooks: K, vocabSize: V, hiddenSize: H, maxPositionEmbeddings: P } = this.config.decoder;
    const D = 'decoder.model.decoder';
    const tables: Array<{ k: number; table: () => Float32Array }> = [];
    for (const n of this.g.nodes) {
      if (n.opType !== 'Gather') continue;
      const table = this.gatherTable(n);
      if (!table) continue;
      if (table.dims[0] === V + 1 && table.dims[1] === H && this.readsInputIds(n.inputs[1])) {
        tables.push({ k: this.codebookOf(n.inputs[1]) ?? tables.length, table: table.read });
      } else if (table.dims[0] === P && table.dims[1] === H && !this.has(`${D}.embed_positions.weights`)) {
        this.set(`${D}.embed_positions.weights`, [P, H], table.read);
      }
    }
    const ks = tables.map((t) => t.k).sort((a, b) => a - b);
    if (ks.length !== K || ks.some((k, i) => k !== i)) this.fail(`found token tables for codebooks [${ks.join(', ')}], expected 0..${K - 1}`);
    for (const t of tables) this.set(`${D}.embed_tokens.${t.k}.weight`, [V + 1, H], t.table);
    // Exported graphs may compute the sinusoidal table instead of storing it: same values as HF's buffer.
    if (!this.has(`${D}.embed_positions.weights`)) this.set(`${D}.embed_positions.weights`, [P, H], () => sinusoidalPositions(P, H));
  }

  /** The constant table a Gather reads, dequantised when a DequantizeLinear follows it. */
  private gatherTable(n: ViewNode): { dims: number[]; read: () => Float32Array } | null {
    const c = this.g.constMeta(n.inputs[0]);
    if (!c || c.dims.length !== 2) return null;
    const dims = c.dims;
    const name = n.inputs[0];
    if (c.type === 'float32') return { dims, read: () => this.take(name) };
    const dq = this.g.consumers(n.outputs[0]).find((m) => m.opType === 'DequantizeLinear');
    if (!dq) return null;
    return { dims, read: () => this.dequantized(name, dq.inputs[1], dq.inputs[2]) };
  }

  private readsInputIds(indices: string): boolean {
    const seen = new Set<string>();
    const queue = [this.g.resolve(indices)];
    while (queue.length) {
      const v = queue.shift()!;
      if (v === 'input_ids') return true;
      if (seen.has(v)) continue;
      seen.add(v);
      const p = this.g.producer(v);
      if (p && !SHAPE_OPS.has(p.opType)) queue.push(...p.inputs.filter((i) => i && !this.g.isConst(i)));
    }
    return false;
  }

  /** k when the indices are input_ids' column k (Gather(ids, k, axis=1), or a Slice [k, k+1)). */
  private codebookOf(indices: string): number | null {
    let p = this.g.producer(indices);
    for (let hops = 0; p && hops < 4; hops++) {
      if (p.opType === 'Gather') {
        const k = this.g.constant(p.inputs[1]);
        if (k && k.data.length === 1) return Number(k.data[0]);
      }
      if (p.opType === 'Slice') {
        const start = this.g.constant(p.inputs[1]);
        if (start && start.data.length === 1) return Number(start.data[0]);
      }
      p = this.g.producer(p.inputs[0]);
    }
    return null;
  }
}

/** Ops whose output carries no data of their input (only its shape). */
const SHAPE_OPS = new Set(['Shape', 'Size', 'ConstantOfShape', 'EyeLike']);
/** Ops whose later inputs are shapes, indices or axes, not data. */
const DATA_INPUT_ONLY = new Set(['Reshape', 'Expand', 'Slice', 'Unsqueeze', 'Squeeze', 'Tile', 'Gather', 'Pad']);

