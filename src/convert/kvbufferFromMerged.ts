import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DECODER_GRAPH_NAME } from '../model/decoderLayout.js';
import { ModelConfigError, parseModelConfig, type MusicgenModelConfig } from '../model/modelConfig.js';
import { buildDecoderForDtype } from './decoderForDtype.js';
import { ConversionError, OutputExistsError, UnsupportedDtypeError } from './errors.js';
import { MergedDecoderWeights, type QuantGrid } from './mergedDecoderWeights.js';
import { DTYPE_SUFFIX, graphMetadata, OUTPUT_DTYPES, type ConvertProgress, type OutputDtype } from './modelFolder.js';
import { graphScratchDir, installGraphFiles, removeStaleGraphFiles } from './graphFiles.js';
import { prepackedWeights } from './mappedWeights.js';
import { OnnxGraphView } from './onnxGraphView.js';
import type { OnnxGraph } from './graph.js';
import type { MatrixQuantizer } from './quantize.js';
import { writeOnnxModel } from './serialize.js';
import { CheckedWeights } from './weights.js';

export interface KvbufferFromMergedOptions {
  /** Precisions to convert (default: every fp32 / q8 merged decoder the folder has). */
  dtypes?: string[];
  /** Rebuild a kvbuffer decoder that already exists. */
  force?: boolean;
  progress?: ConvertProgress;
}

/** Remembers which state-dict weight each transposed Linear array the builder gets came from. */
class TracedWeights extends CheckedWeights {
  readonly origin = new WeakMap<Float32Array, string>();
  override linearT(name: string, outFeatures: number, inFeatures: number): Float32Array {
    const t = super.linearT(name, outFeatures, inFeatures);
    this.origin.set(t, name);
    return t;
  }
}

/** q = round(w / scale) + zero, per column: exact when w was dequantised from that grid. */
function onGrid(w: Float32Array, rows: number, cols: number, grid: QuantGrid): ReturnType<MatrixQuantizer> {
  const q = grid.signed ? new Int8Array(w.length) : new Uint8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) q[r * cols + c] = grid.scale[c] === 0 ? grid.zero[c] : Math.round(w[r * cols + c] / grid.scale[c]) + grid.zero[c];
  }
  const zero = grid.signed ? Int8Array.from(grid.zero) : Uint8Array.from(grid.zero);
  return { q, scale: grid.scale, zero };
}

/**
 * Quantises each weight back onto the grid the merged decoder stored it on (and leaves float what
 * it left float), so our q8 decoder multiplies the same int8 / uint8 numbers: DynamicQuantizeMatMul
 * is what onnxruntime fuses DynamicQuantizeLinear + MatMulInteger + Cast + Mul into. Our fused LM
 * head [hidden, K*V] takes head k's grid on columns [kV, (k+1)V).
 */
function sourceGridQuantizer(weights: TracedWeights, source: MergedDecoderWeights, config: MusicgenModelConfig): MatrixQuantizer {
  const { hiddenSize: H, numCodebooks: K, vocabSize: V } = config.decoder;
  return (w, rows, cols) => {
    const name = weights.origin.get(w);
    if (name) {
      const grid = source.grid(name);
      return grid ? onGrid(w, rows, cols, grid) : null;
    }
    if (rows !== H || cols !== K * V) return null;
    const heads = Array.from({ length: K }, (_, k) => source.grid(`decoder.lm_heads.${k}.weight`));
    if (heads.some((g) => !g)) return null;
    const cat = (pick: (g: QuantGrid) => Float32Array): Float32Array => {
      const out = new Float32Array(K * V);
      heads.forEach((g, k) => out.set(pick(g!), k * V));
      return out;
    };
    return onGrid(w, rows, cols, { scale: cat((g) => g.scale), zero: cat((g) => g.zero), signed: heads[0]!.signed });
  };
}

/**
 * The kvbuffer graph from one merged file. The merged model's bytes become unreachable when this
 * returns, so they can be freed before the new graph is serialised (musicgen-small fp32: 1.7 GB).
 */
function buildFromMerged(file: string, config: MusicgenModelConfig, dtype: OutputDtype, progress: (done: number, layers: number) => void): OnnxGraph {
  const source = new MergedDecoderWeights(OnnxGraphView.read(file), config);
  const weights = new TracedWeights(source);
  return buildDecoderForDtype(config, weights, 'kvbuffer', dtype, progress, sourceGridQuantizer(weights, source, config));
}


const mergedFile = (dtype: OutputDtype): string => `${DECODER_GRAPH_NAME.merged}${DTYPE_SUFFIX[dtype]}.onnx`;
const kvbufferFile = (dtype: OutputDtype): string => `${DECODER_GRAPH_NAME.kvbuffer}${DTYPE_SUFFIX[dtype]}.onnx`;

/** Whether a folder holds a merged decoder we can convert (fp32 or q8), i.e. is a transformers.js ONNX folder. */
export function hasMergedDecoder(dir: string): boolean {
  return OUTPUT_DTYPES.some((d) => existsSync(join(dir, 'onnx', mergedFile(d))));
}

/**
 * Gives a folder that holds only transformers.js's `decoder_model_merged{S}.onnx` our
 * `decoder_model_kvbuffer{S}.onnx` (docs/MODEL_FORMAT.md), built from the merged graph's own
 * weights: same arithmetic, so the same greedy codes. A q8 (`_quantized`) merged decoder keeps its
 * int8 / uint8 weights on their own grid (sourceGridQuantizer), not requantised with ours, so q8
 * codes match too. Each file is written in a temporary folder and renamed into onnx/, so an
 * interrupted conversion leaves nothing. Returns the files written.
 */
export function kvbufferFromMerged(dir: string, opts: KvbufferFromMergedOptions = {}): string[] {
  const root = resolve(dir);
  const onnxDir = join(root, 'onnx');
  const configPath = join(root, 'config.json');
  if (!existsSync(configPath)) throw new ConversionError(`${root} has no config.json; is it a MusicGen ONNX model folder (e.g. Xenova/musicgen-small)?`);
  const wanted = (opts.dtypes ?? OUTPUT_DTYPES.filter((d) => existsSync(join(onnxDir, mergedFile(d))))).map((d) => {
    if (!(OUTPUT_DTYPES as readonly string[]).includes(d)) {
      throw new UnsupportedDtypeError(`cannot build our decoder from a ${d} merged decoder; choose one of ${OUTPUT_DTYPES.join(', ')}`);
    }
    return d as OutputDtype;
  });
  if (wanted.length === 0) throw new ConversionError(`${root}: no onnx/${mergedFile('fp32')} or onnx/${mergedFile('q8')} to build our decoder from`);
  for (const d of wanted) {
    if (!existsSync(join(onnxDir, mergedFile(d)))) throw new ConversionError(`${root}: no onnx/${mergedFile(d)} (dtype ${d}); decoders present: ${readdirSync(onnxDir).filter((f) => f.startsWith('decoder_model')).join(', ')}`);
    if (existsSync(join(onnxDir, kvbufferFile(d))) && !opts.force) {
      throw new OutputExistsError(`${root} already has onnx/${kvbufferFile(d)}; pass --force (force: true) to rebuild it`);
    }
  }
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new ModelConfigError(`${configPath}: not valid JSON (${(e as Error).message})`);
  }
  const config = parseModelConfig(rawConfig, configPath);
  removeStaleGraphFiles(onnxDir);
  const written: string[] = [];
  wanted.forEach((dtype, i) => {
    const file = kvbufferFile(dtype);
    const progress = (done: number, layers: number): void => opts.progress?.(i + done / layers, wanted.length, `${file} (layer ${done}/${layers})`);
    opts.progress?.(i, wanted.length, `reading ${mergedFile(dtype)}`);
    const graph = buildFromMerged(join(onnxDir, mergedFile(dtype)), config, dtype, progress);
    // A scratch folder beside the files, so `<file>_data` keeps its name; the weights onnxruntime
    // prepacks go there (convert/mappedWeights.ts), both files are installed together.
    const scratch = graphScratchDir(onnxDir, file);
    try {
      mkdirSync(scratch);
      writeOnnxModel(join(scratch, file), graph, {
        metadata: graphMetadata(config, { graph: DECODER_GRAPH_NAME.kvbuffer, dtype, built_from: mergedFile(dtype) }),
        externalWeights: prepackedWeights(graph),
      });
      written.push(...installGraphFiles(scratch, file, onnxDir).map((f) => `onnx/${f}`));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
  opts.progress?.(wanted.length, wanted.length, 'done');
  return written;
}
