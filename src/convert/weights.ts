import { MissingTensorError, TensorShapeError } from './errors.js';

/** A float32 tensor in C order. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/**
 * Where weights come from: a safetensors checkpoint or a seeded random generator. Names are
 * Hugging Face state-dict keys (see test/fixtures/hf-reference/STATE_DICT.md).
 */
export interface WeightSource {
  /** Human-readable origin for error messages (a file path, "random preset tiny (seed 0)"). */
  readonly origin: string;
  has(name: string): boolean;
  /**
   * Reads a tensor as float32 (F16/BF16 are widened). Throws MissingTensorError when absent.
   * `expectedShape` is what the architecture needs; file sources ignore it (the caller checks),
   * generated sources use it to make the tensor.
   */
  read(name: string, expectedShape: number[]): Tensor;
}

/** Key spellings that mean the same tensor (HF writes one, reads both). */
const ALIASES: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  // T5 ties its input embedding to `shared`; save_pretrained drops the encoder copy.
  [/^text_encoder\.encoder\.embed_tokens\.weight$/, () => 'text_encoder.shared.weight'],
  // PyTorch >= 2.1 weight-norm parametrizations vs the legacy weight_g / weight_v names.
  [/^(.*)\.weight_g$/, (m) => `${m[1]}.parametrizations.weight.original0`],
  [/^(.*)\.weight_v$/, (m) => `${m[1]}.parametrizations.weight.original1`],
];

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Typed access to a WeightSource: every read states the shape the architecture expects, so a
 * checkpoint that does not match config.json fails with the tensor's name, not deep inside
 * onnxruntime.
 */
export class CheckedWeights {
  constructor(readonly source: WeightSource) {}

  private resolve(name: string): string | null {
    if (this.source.has(name)) return name;
    for (const [re, to] of ALIASES) {
      const m = name.match(re);
      if (m) {
        const alt = to(m);
        if (this.source.has(alt)) return alt;
      }
    }
    return null;
  }

  has(name: string): boolean {
    return this.resolve(name) !== null;
  }

  get(name: string, shape: number[]): Float32Array {
    const key = this.resolve(name);
    if (key === null) {
      throw new MissingTensorError(`${this.source.origin}: missing tensor "${name}" (expected shape [${shape.join(', ')}])`);
    }
    const t = this.source.read(key, shape);
    if (!sameShape(t.shape, shape)) {
      throw new TensorShapeError(
        `${this.source.origin}: tensor "${key}" has shape [${t.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`,
      );
    }
    return t.data;
  }

  /** A Linear weight [out, in] returned transposed to [in, out] for MatMul. */
  linearT(name: string, outFeatures: number, inFeatures: number): Float32Array {
    return transpose2d(this.get(name, [outFeatures, inFeatures]), outFeatures, inFeatures);
  }

  /**
   * The effective weight of a weight-normalised conv: w = g * v / ||v||, the norm over every dim
   * but dim 0 (torch._weight_norm(v, g, 0)). `vShape` is [dim0, ...]; g is [dim0, 1, 1].
   */
  weightNorm(prefix: string, vShape: number[]): Float32Array {
    const dim0 = vShape[0];
    const v = this.get(`${prefix}.weight_v`, vShape);
    const g = this.get(`${prefix}.weight_g`, [dim0, 1, 1]);
    const per = v.length / dim0;
    const w = new Float32Array(v.length);
    for (let i = 0; i < dim0; i++) {
      let ss = 0;
      for (let j = 0; j < per; j++) ss += v[i * per + j] * v[i * per + j];
      const scale = g[i] / Math.sqrt(ss);
      for (let j = 0; j < per; j++) w[i * per + j] = v[i * per + j] * scale;
    }
    return w;
  }
}

export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  }
  return out;
}
