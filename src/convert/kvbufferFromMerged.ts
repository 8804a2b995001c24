import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DECODER_GRAPH_NAME } from '../inference/decoderLayout.js';
import { ModelConfigError, parseModelConfig } from '../inference/modelConfig.js';
import { buildDecoderForDtype } from './decoderForDtype.js';
import { ConversionError, OutputExistsError, UnsupportedDtypeError } from './errors.js';
import { MergedDecoderWeights } from './mergedDecoderWeights.js';
import { DTYPE_SUFFIX, graphMetadata, OUTPUT_DTYPES, type ConvertProgress, type OutputDtype } from './modelFolder.js';
import { OnnxGraphView } from './onnxGraphView.js';
import { writeOnnxModel } from './serialize.js';
import { CheckedWeights } from './weights.js';

export interface KvbufferFromMergedOptions {
  /** Precisions to convert (default: every fp32 / q8 merged decoder the folder has). */
  dtypes?: string[];
  /** Rebuild a kvbuffer decoder that already exists. */
  force?: boolean;
  progress?: ConvertProgress;
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
 * weights: same arithmetic, so greedy codes equal the merged decoder's in fp32. q8 merged
 * decoders are dequantised and requantised with our quantizer (per-column int8); onnxruntime's
 * per-tensor uint8 weights and ours are not the same numbers, so q8 codes may differ from the
 * merged q8 decoder's as any two int8 quantisations do. Each file is written in a temporary folder
 * and renamed into onnx/, so an interrupted conversion leaves nothing. Returns the files written.
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
  const written: string[] = [];
  wanted.forEach((dtype, i) => {
    const file = kvbufferFile(dtype);
    const progress = (done: number, layers: number): void => opts.progress?.(i + done / layers, wanted.length, `${file} (layer ${done}/${layers})`);
    opts.progress?.(i, wanted.length, `reading ${mergedFile(dtype)}`);
    const weights = new CheckedWeights(new MergedDecoderWeights(OnnxGraphView.read(join(onnxDir, mergedFile(dtype))), config));
    const graph = buildDecoderForDtype(config, weights, 'kvbuffer', dtype, progress);
    // A temporary folder beside the files, so `<file>_data` (decoders over 2 GB) keeps its name.
    const tmp = join(onnxDir, `.${file}.partial-${process.pid}-${Date.now()}`);
    try {
      mkdirSync(tmp);
      writeOnnxModel(join(tmp, file), graph, { metadata: graphMetadata(config, { graph: DECODER_GRAPH_NAME.kvbuffer, dtype, built_from: mergedFile(dtype) }) });
      // `<file>_data` first: a reader never sees the graph without its weights.
      for (const f of readdirSync(tmp).sort((a, b) => b.length - a.length)) {
        renameSync(join(tmp, f), join(onnxDir, f));
        written.push(`onnx/${f}`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  opts.progress?.(wanted.length, wanted.length, 'done');
  return written;
}
