import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DECODER_GRAPH_NAME, type DecoderLayout } from './decoderLayout.js';
import { MissingModelFileError } from './errors.js';
import { ModelConfigError, parseModelConfig, type MusicgenModelConfig } from './modelConfig.js';

/** Precisions of the transformers.js / optimum file layout and their file-name suffixes. */
export const MODEL_DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
  q4f16: '_q4f16',
} as const;
export type ModelDtype = keyof typeof MODEL_DTYPE_SUFFIX;

/**
 * Decoder graphs a folder may hold (docs/MODEL_FORMAT.md): ours with a caller-owned KV buffer,
 * and the transformers.js / optimum merged decoder. `auto` takes kvbuffer when present.
 */
export const DECODER_LAYOUTS = ['auto', 'kvbuffer', 'merged'] as const;
export type DecoderLayoutChoice = (typeof DECODER_LAYOUTS)[number];

export interface GenerationConfigFile {
  guidanceScale?: number;
  doSample?: boolean;
  padTokenId?: number;
  decoderStartTokenId?: number;
}

/** Where each graph and metadata file of a model folder is (docs/MODEL_FORMAT.md). */
export type EncodecDecodeFiles = { kind: 'whole'; graph: string } | { kind: 'split'; frames: string; upsample: string };

export interface ModelFiles {
  dir: string;
  dtype: ModelDtype;
  config: MusicgenModelConfig;
  generationConfig: GenerationConfigFile;
  textEncoder: string;
  decoder: string;
  /** Which decoder graph `decoder` is. */
  decoderLayout: DecoderLayout;
  /**
   * EnCodec decode: our folders split it in two (encodec_decode_frames + encodec_decode_upsample,
   * run in chunks to bound memory); transformers.js folders have the one encodec_decode graph.
   */
  encodecDecode: EncodecDecodeFiles;
  /** Ours, optional: continuation needs it. */
  encodecEncode: string | null;
  /** tokenizer.json + tokenizer_config.json, when the folder has both. */
  tokenizer: { json: string; config: string } | null;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** `<stem>{S}.onnx` in the requested precision, else float32 for graphs we never quantise. */
function graphFile(onnxDir: string, stem: string, dtype: ModelDtype, fallbackToFp32: boolean): string | null {
  const wanted = join(onnxDir, `${stem}${MODEL_DTYPE_SUFFIX[dtype]}.onnx`);
  if (existsSync(wanted)) return wanted;
  const fp32 = join(onnxDir, `${stem}.onnx`);
  if (fallbackToFp32 && existsSync(fp32)) return fp32;
  return null;
}

function available(onnxDir: string, stem: string): string {
  if (!existsSync(onnxDir)) return 'none';
  const found = readdirSync(onnxDir).filter((f) => f.startsWith(stem) && f.endsWith('.onnx'));
  return found.length ? found.join(', ') : 'none';
}

/** The split pair when the folder has both halves, else the one graph (a missing one is reported by `need`). */
function locateEncodecDecode(onnxDir: string, dtype: ModelDtype, need: (stem: string, fallback: boolean) => string): EncodecDecodeFiles {
  const frames = graphFile(onnxDir, 'encodec_decode_frames', dtype, true);
  const upsample = graphFile(onnxDir, 'encodec_decode_upsample', dtype, true);
  if (frames && upsample) return { kind: 'split', frames, upsample };
  return { kind: 'whole', graph: need('encodec_decode', true) };
}

/**
 * Finds the files of a model folder for one precision. The decoder must exist in that precision;
 * the text encoder and EnCodec fall back to float32 (they run once per generation).
 */
export function locateModelFiles(dir: string, dtype: string = 'fp32', decoderLayout: string = 'auto'): ModelFiles {
  const root = resolve(dir);
  if (!(dtype in MODEL_DTYPE_SUFFIX)) {
    throw new MissingModelFileError(`unknown dtype "${dtype}"; choose one of ${Object.keys(MODEL_DTYPE_SUFFIX).join(', ')}`);
  }
  if (!(DECODER_LAYOUTS as readonly string[]).includes(decoderLayout)) {
    throw new MissingModelFileError(`unknown decoder layout "${decoderLayout}"; choose one of ${DECODER_LAYOUTS.join(', ')}`);
  }
  const d = dtype as ModelDtype;
  if (!existsSync(root)) throw new MissingModelFileError(`model folder ${root} does not exist`);
  const configPath = join(root, 'config.json');
  if (!existsSync(configPath)) {
    throw new MissingModelFileError(`${root} has no config.json; is it a MusicGen ONNX model folder (e.g. Xenova/musicgen-small)?`);
  }
  const config = parseModelConfig(readJson(configPath), configPath);
  const genPath = join(root, 'generation_config.json');
  const generationConfig: GenerationConfigFile = {};
  if (existsSync(genPath)) {
    const g = readJson(genPath) as Record<string, unknown>;
    if (typeof g.guidance_scale === 'number') generationConfig.guidanceScale = g.guidance_scale;
    if (typeof g.do_sample === 'boolean') generationConfig.doSample = g.do_sample;
    if (typeof g.pad_token_id === 'number') generationConfig.padTokenId = g.pad_token_id;
    if (typeof g.decoder_start_token_id === 'number') generationConfig.decoderStartTokenId = g.decoder_start_token_id;
  }
  const onnxDir = join(root, 'onnx');
  const need = (stem: string, fallback: boolean): string => {
    const f = graphFile(onnxDir, stem, d, fallback);
    if (!f) {
      throw new MissingModelFileError(
        `${root}: missing onnx/${stem}${MODEL_DTYPE_SUFFIX[d]}.onnx (dtype ${d}); files present: ${available(onnxDir, stem)}`,
      );
    }
    return f;
  };
  // Same order as the graphs run: a folder missing everything reports the text encoder first.
  const textEncoder = need('text_encoder', true);
  const layout: DecoderLayout =
    decoderLayout === 'auto' ? (graphFile(onnxDir, DECODER_GRAPH_NAME.kvbuffer, d, false) ? 'kvbuffer' : 'merged') : (decoderLayout as DecoderLayout);
  const decoder = graphFile(onnxDir, DECODER_GRAPH_NAME[layout], d, false);
  if (!decoder) {
    const other = layout === 'kvbuffer' ? 'merged' : 'kvbuffer';
    const alt = graphFile(onnxDir, DECODER_GRAPH_NAME[other], d, false) ? `; the folder has the ${other} decoder: pass decoderLayout "${other}" or "auto"` : '';
    const tried = decoderLayout === 'auto' ? `onnx/${DECODER_GRAPH_NAME.kvbuffer}${MODEL_DTYPE_SUFFIX[d]}.onnx or ` : '';
    throw new MissingModelFileError(
      `${root}: missing ${tried}onnx/${DECODER_GRAPH_NAME[layout]}${MODEL_DTYPE_SUFFIX[d]}.onnx (dtype ${d}); decoder files present: ` +
        `${available(onnxDir, 'decoder_model')}${alt}`,
    );
  }
  const tokJson = join(root, 'tokenizer.json');
  const tokConfig = join(root, 'tokenizer_config.json');
  return {
    dir: root,
    dtype: d,
    config,
    generationConfig,
    textEncoder,
    decoder,
    decoderLayout: layout,
    encodecDecode: locateEncodecDecode(onnxDir, d, need),
    encodecEncode: graphFile(onnxDir, 'encodec_encode', d, true),
    tokenizer: existsSync(tokJson) && existsSync(tokConfig) ? { json: tokJson, config: tokConfig } : null,
  };
}
