import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { codebooksPerChannel, ModelConfigError, parseModelConfig, type MusicgenModelConfig } from '../model/modelConfig.js';
import { DECODER_GRAPH_NAME, type DecoderLayout } from '../model/decoderLayout.js';
import { buildDecoderForDtype } from './decoderForDtype.js';
import { prepackedWeights } from './mappedWeights.js';
import { buildEncodecDecodeFramesGraph, buildEncodecDecodeGraph, buildEncodecDecodeUpsampleGraph, buildEncodecEncodeGraph } from './encodec/index.js';
import { ConversionError, OutputExistsError, UnsupportedDtypeError } from './errors.js';
import type { OnnxGraph } from './graph.js';
import { bundledMusicgenSmallDir } from './packageRoot.js';
import { defaultGenerationConfig, melodyPreprocessorConfig, presetConfig } from './presets.js';
import { RandomWeights } from './randomWeights.js';
import { openCheckpointWeights } from './safetensors.js';
import { writeOnnxModel } from './serialize.js';
import { buildT5EncoderGraph } from './t5EncoderGraph.js';
import { CheckedWeights, type WeightSource } from './weights.js';

/** Output precisions of the decoder (the other graphs stay float32). */
export const OUTPUT_DTYPES = ['fp32', 'q8'] as const;
export type OutputDtype = (typeof OUTPUT_DTYPES)[number];

/** File-name suffix per precision, as transformers.js names its files. */
export const DTYPE_SUFFIX: Record<OutputDtype, string> = { fp32: '', q8: '_quantized' };

export type ConvertProgress = (done: number, total: number, stage: string) => void;

export interface ModelFolderOptions {
  dtype?: string;
  /** Replace an existing output folder. */
  force?: boolean;
  progress?: ConvertProgress;
  /** Keep weights in `*.onnx_data` side files even for small graphs (tests the >2 GB path). */
  forceExternalData?: boolean;
  /**
   * Which decoder graphs to write (docs/MODEL_FORMAT.md): `kvbuffer` (default, ours, fastest),
   * `merged` (transformers.js / optimum layout), or `both` for folders transformers.js also reads.
   */
  decoderLayout?: string;
}

export const DECODER_LAYOUT_CHOICES = ['kvbuffer', 'merged', 'both'] as const;

function checkDecoderLayout(layout: string | undefined): DecoderLayout[] {
  const l = layout ?? 'kvbuffer';
  if (l === 'both') return ['kvbuffer', 'merged'];
  if (l === 'kvbuffer' || l === 'merged') return [l];
  throw new ConversionError(`unknown decoder layout "${l}"; choose one of ${DECODER_LAYOUT_CHOICES.join(', ')}`);
}

export interface ModelFolderResult {
  dir: string;
  config: MusicgenModelConfig;
  files: string[];
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const T5_VOCAB = 32128;

function checkDtype(dtype: string | undefined): OutputDtype {
  const d = dtype ?? 'fp32';
  if (!(OUTPUT_DTYPES as readonly string[]).includes(d)) {
    throw new UnsupportedDtypeError(`unsupported output dtype "${d}"; choose one of ${OUTPUT_DTYPES.join(', ')}`);
  }
  return d as OutputDtype;
}

function checkOutput(outDir: string, force: boolean): void {
  if (existsSync(outDir) && !force) {
    throw new OutputExistsError(`output folder ${outDir} already exists; pass --force (force: true) to replace it`);
  }
}

/** Graph metadata: what a reader needs to check a folder against its config without running it. */
export function graphMetadata(config: MusicgenModelConfig, extra: Record<string, string | number>): Record<string, string> {
  const d = config.decoder;
  const meta: Record<string, string | number> = {
    producer: 'musicgen-ts',
    model_type: config.modelType,
    decoder_layers: d.numLayers,
    decoder_hidden_size: d.hiddenSize,
    decoder_heads: d.numHeads,
    num_codebooks: d.numCodebooks,
    audio_channels: d.audioChannels,
    vocab_size: d.vocabSize,
    ...extra,
  };
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)]));
}

interface FolderSources {
  rawConfig: Record<string, unknown>;
  weights: WeightSource;
  /** Folder to copy tokenizer / generation config from, if it has them. */
  sourceDir: string | null;
}

/**
 * config.json with `transformers.js_config.use_external_data_format` naming exactly the graphs of
 * this folder that keep their weights in one `<file>_data` (transformers.js loads a side file only
 * when told so); a hint the source config carried for other files is dropped.
 */
export function withExternalDataHint(rawConfig: Record<string, unknown>, externalFiles: string[]): Record<string, unknown> {
  const tjs = { ...((rawConfig['transformers.js_config'] ?? {}) as Record<string, unknown>) };
  delete tjs.use_external_data_format;
  const rest = { ...rawConfig };
  delete rest['transformers.js_config'];
  const hint = externalFiles.length ? { use_external_data_format: Object.fromEntries(externalFiles.map((f) => [f, 1])) } : {};
  const merged = { ...tjs, ...hint };
  return Object.keys(merged).length ? { ...rest, 'transformers.js_config': merged } : rest;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Builds every graph of a model folder into a temporary sibling folder and renames it into place
 * at the end, so an interrupted or failed conversion never leaves a half-written folder.
 */
function writeModelFolder(src: FolderSources, outDir: string, opts: ModelFolderOptions): ModelFolderResult {
  const dtype = checkDtype(opts.dtype);
  const layouts = checkDecoderLayout(opts.decoderLayout);
  const target = resolve(outDir);
  checkOutput(target, opts.force ?? false);
  const config = parseModelConfig(src.rawConfig, src.sourceDir ? join(src.sourceDir, 'config.json') : 'config.json');
  const weights = new CheckedWeights(src.weights);
  const parent = dirname(target);
  // The first folder this call creates (if any), removed again when the conversion fails.
  const createdParent = mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.partial-${process.pid}-${Date.now()}`);
  const suffix = DTYPE_SUFFIX[dtype];
  const layerProgress = (stage: number, file: string) => (done: number, layers: number): void =>
    opts.progress?.(stage + done / layers, total, `${file} (layer ${done}/${layers})`);
  // `external`: weights in `<file>_data`, which onnxruntime maps and drops once its kernels have
  // prepacked them, where weights read from inside the protobuf are copied into fresh malloc
  // memory first (text encoder 0.55 -> 0.33 GiB of RSS at musicgen-small; the fp32 decoder opens
  // in ~1.9 instead of ~7.1 CPU s under the malloc tunables, BENCHMARKS.md issue 21).
  // 'prepacked' (our kvbuffer decoder): only the weights onnxruntime prepacks go to `_data`; what a step
  // reads unpacked (embeddings, LayerNorm, q8 scales) stays inside, so no step touches the file
  // (convert/mappedWeights.ts: why, and session 6's stalls of an all-mapped decoder).
  const stages: Array<{ file: string; build: () => OnnxGraph; meta: Record<string, string | number>; external: boolean | 'prepacked' }> = [
    { file: 'text_encoder.onnx', build: () => buildT5EncoderGraph(config.textEncoder, weights), meta: { graph: 'text_encoder' }, external: true },
    ...layouts.map((layout, i) => {
      const file = `${DECODER_GRAPH_NAME[layout]}${suffix}.onnx`;
      return {
        file,
        build: () => buildDecoderForDtype(config, weights, layout, dtype, layerProgress(1 + i, file)),
        meta: { graph: DECODER_GRAPH_NAME[layout], dtype },
        // The merged decoder as transformers.js / optimum publish it: one file.
        external: layout === 'kvbuffer' ? ('prepacked' as const) : false,
      };
    }),
    // EnCodec decode in two halves, so the sample-rate half can run in chunks (inference/audioCodec.ts);
    // the one-graph form only for folders transformers.js reads (it opens encodec_decode.onnx).
    {
      file: 'encodec_decode_frames.onnx',
      build: () => buildEncodecDecodeFramesGraph(config.audioEncoder, weights, codebooksPerChannel(config)),
      meta: { graph: 'encodec_decode_frames' },
      external: true,
    },
    {
      file: 'encodec_decode_upsample.onnx',
      build: () => buildEncodecDecodeUpsampleGraph(config.audioEncoder, weights),
      meta: { graph: 'encodec_decode_upsample' },
      external: true,
    },
    ...(layouts.includes('merged')
      ? [
          {
            file: 'encodec_decode.onnx',
            build: () => buildEncodecDecodeGraph(config.audioEncoder, weights, codebooksPerChannel(config)),
            meta: { graph: 'encodec_decode' },
            external: true,
          },
        ]
      : []),
    {
      file: 'encodec_encode.onnx',
      build: () => buildEncodecEncodeGraph(config.audioEncoder, weights, codebooksPerChannel(config)),
      meta: { graph: 'encodec_encode' },
      external: true,
    },
  ];
  const total = stages.length + 1;
  const files: string[] = [];
  const externalFiles: string[] = [];
  try {
    mkdirSync(join(tmp, 'onnx'), { recursive: true });
    stages.forEach((stage, i) => {
      opts.progress?.(i, total, stage.file);
      const graph = stage.build();
      writeOnnxModel(join(tmp, 'onnx', stage.file), graph, {
        metadata: graphMetadata(config, stage.meta),
        forceExternalData: opts.forceExternalData || stage.external === true,
        externalWeights: stage.external === 'prepacked' ? prepackedWeights(graph) : undefined,
      });
      files.push(`onnx/${stage.file}`);
      if (existsSync(join(tmp, 'onnx', `${stage.file}_data`))) {
        files.push(`onnx/${stage.file}_data`);
        externalFiles.push(stage.file);
      }
    });
    opts.progress?.(stages.length, total, 'config and tokenizer');
    writeJson(join(tmp, 'config.json'), withExternalDataHint(src.rawConfig, externalFiles));
    files.push('config.json');
    const genSrc = src.sourceDir ? join(src.sourceDir, 'generation_config.json') : '';
    if (genSrc && existsSync(genSrc)) copyFileSync(genSrc, join(tmp, 'generation_config.json'));
    else writeJson(join(tmp, 'generation_config.json'), defaultGenerationConfig(config.decoder.padTokenId));
    files.push('generation_config.json');
    if (config.melody) {
      const pre = src.sourceDir ? join(src.sourceDir, 'preprocessor_config.json') : '';
      if (pre && existsSync(pre)) copyFileSync(pre, join(tmp, 'preprocessor_config.json'));
      else writeJson(join(tmp, 'preprocessor_config.json'), melodyPreprocessorConfig());
      files.push('preprocessor_config.json');
    }
    // Tokenizer: the checkpoint's own, else the real T5 tokenizer when the vocabulary is T5's.
    // A checkpoint with another vocabulary (the test fixtures) gets none: it takes token ids only.
    const own = src.sourceDir && TOKENIZER_FILES.slice(0, 2).every((f) => existsSync(join(src.sourceDir as string, f)));
    const tokDir = own ? (src.sourceDir as string) : config.textEncoder.vocabSize === T5_VOCAB ? bundledMusicgenSmallDir() : null;
    if (tokDir) {
      for (const f of TOKENIZER_FILES) {
        if (existsSync(join(tokDir, f))) {
          copyFileSync(join(tokDir, f), join(tmp, f));
          files.push(f);
        }
      }
    }
    if (existsSync(target)) {
      const old = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`);
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    opts.progress?.(total, total, 'done');
  } catch (err) {
    rmSync(createdParent ?? tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir: target, config, files };
}

/** Hugging Face checkpoint folder (config.json + safetensors) -> ONNX model folder. */
export function convertCheckpoint(checkpointDir: string, outDir: string, opts: ModelFolderOptions = {}): ModelFolderResult {
  const dir = resolve(checkpointDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConversionError(`checkpoint folder ${dir} does not exist`);
  }
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new ConversionError(`${dir} has no config.json; point at a Hugging Face MusicGen checkpoint folder`);
  let rawConfig: Record<string, unknown>;
  try {
    rawConfig = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ModelConfigError(`${configPath}: not valid JSON (${(e as Error).message})`);
  }
  checkDtype(opts.dtype);
  checkDecoderLayout(opts.decoderLayout);
  checkOutput(resolve(outDir), opts.force ?? false);
  return writeModelFolder({ rawConfig, weights: openCheckpointWeights(dir), sourceDir: dir }, outDir, opts);
}

/** Seeded random model of a preset's architecture (tests, speed and memory studies). */
export function synthesizeModel(preset: string, outDir: string, opts: ModelFolderOptions & { seed?: number } = {}): ModelFolderResult {
  const seed = opts.seed ?? 0;
  return synthesizeFromConfig(presetConfig(preset, seed), outDir, opts);
}

/** Seeded random weights for any MusicGen config.json object (e.g. a preset with other sizes). */
export function synthesizeFromConfig(
  rawConfig: Record<string, unknown>,
  outDir: string,
  opts: ModelFolderOptions & { seed?: number } = {},
): ModelFolderResult {
  const seed = opts.seed ?? 0;
  return writeModelFolder({ rawConfig, weights: new RandomWeights(seed, `random weights (seed ${seed})`), sourceDir: null }, outDir, opts);
}
