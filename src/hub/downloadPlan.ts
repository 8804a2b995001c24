import { OUTPUT_DTYPES } from '../convert/modelFolder.js';
import { DECODER_GRAPH_NAME } from '../model/decoderLayout.js';
import { MODEL_DTYPE_SUFFIX, type ModelDtype } from '../model/modelFiles.js';
import { DtypeNotAvailableError, NoMusicgenFilesError } from './errors.js';
import type { RepoFileEntry } from './hubClient.js';

/** Small JSON files of a model folder (docs/MODEL_FORMAT.md), taken when the repo has them. */
export const METADATA_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
] as const;

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/**
 * Graphs of the model folder layout, each as alternatives (sets of stems) in order of preference.
 * The decoder must exist in the requested dtype, as our kvbuffer decoder (taken when present: the
 * faster one, and one decoder is all a folder needs) or the transformers.js merged one; EnCodec
 * decode as our two halves (chunked, less memory) or the transformers.js graph.
 */
const GRAPHS: ReadonlyArray<{ choices: string[][]; required: boolean; fp32Fallback: boolean }> = [
  { choices: [['text_encoder']], required: true, fp32Fallback: true },
  { choices: [[DECODER_GRAPH_NAME.kvbuffer], [DECODER_GRAPH_NAME.merged]], required: true, fp32Fallback: false },
  { choices: [['encodec_decode_frames', 'encodec_decode_upsample'], ['encodec_decode']], required: true, fp32Fallback: true },
  { choices: [['encodec_encode']], required: false, fp32Fallback: true },
];

/** What to download for one dtype: a ready ONNX folder, or a checkpoint to convert afterwards. */
export type DownloadPlan =
  | { source: 'onnx'; dtype: ModelDtype; files: RepoFileEntry[] }
  /** Shards named by the index are added once the index itself is downloaded (shardFiles). */
  | { source: 'safetensors'; dtype: ModelDtype; files: RepoFileEntry[]; index: RepoFileEntry | null };

export function checkDtype(dtype: string): ModelDtype {
  if (!(dtype in MODEL_DTYPE_SUFFIX)) {
    throw new DtypeNotAvailableError(`unknown dtype "${dtype}"; choose one of ${Object.keys(MODEL_DTYPE_SUFFIX).join(', ')}`);
  }
  return dtype as ModelDtype;
}

function dtypeOfSuffix(suffix: string): string {
  const hit = Object.entries(MODEL_DTYPE_SUFFIX).find(([, s]) => s === suffix);
  return hit ? hit[0] : `"${suffix}"`;
}

/** Dtypes whose decoder (either layout) the repo holds, for "available: …" hints. */
function decoderDtypes(byPath: Map<string, RepoFileEntry>): string[] {
  const out = new Set<string>();
  for (const path of byPath.keys()) {
    const m = /^onnx\/decoder_model_(?:merged|kvbuffer)(.*)\.onnx$/.exec(path);
    if (m) out.add(dtypeOfSuffix(m[1]));
  }
  return [...out].sort();
}

/** The graph file plus its external-data side files (`x.onnx_data`, `x.onnx_data_1`, …). */
function withExternalData(graph: string, files: readonly RepoFileEntry[]): RepoFileEntry[] {
  return files.filter((f) => f.path === graph || f.path.startsWith(`${graph}_data`));
}

/**
 * Picks the files a MusicGen model folder needs for `dtype` from a repository listing: the
 * ONNX layout when onnx/decoder_model_{kvbuffer,merged}*.onnx exists, else a safetensors
 * checkpoint (config.json + model.safetensors or its index and shards) to convert.
 */
export function planDownload(repoLabel: string, files: readonly RepoFileEntry[], dtypeName: string): DownloadPlan {
  const dtype = checkDtype(dtypeName);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const metadata = METADATA_FILES.flatMap((name) => (byPath.has(name) ? [byPath.get(name) as RepoFileEntry] : []));
  const listing = (): string => {
    const names = files.map((f) => f.path);
    return names.length ? `${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … (${names.length} files)` : ''}` : 'no files';
  };
  const hasConfig = byPath.has('config.json');
  const decoders = decoderDtypes(byPath);
  if (hasConfig && decoders.length > 0) {
    const suffix = MODEL_DTYPE_SUFFIX[dtype];
    const picked: RepoFileEntry[] = [];
    // A stem in the dtype, else (graphs we never quantise) in fp32.
    const pathOf = (stem: string, fp32Fallback: boolean): string | null =>
      [`onnx/${stem}${suffix}.onnx`, ...(fp32Fallback ? [`onnx/${stem}.onnx`] : [])].find((p) => byPath.has(p)) ?? null;
    for (const g of GRAPHS) {
      const wanted = g.choices.map((stems) => stems.map((stem) => `onnx/${stem}${suffix}.onnx`).join(' + '));
      const paths = g.choices.map((stems) => stems.map((stem) => pathOf(stem, g.fp32Fallback))).find((ps) => ps.every((p) => p !== null)) ?? null;
      if (paths) for (const path of paths) picked.push(...withExternalData(path as string, files));
      else if (g.required) {
        throw new DtypeNotAvailableError(
          `${repoLabel} has no ${wanted.join(' or ')} (dtype ${dtype}); dtypes with a decoder there: ${decoders.join(', ')}; choose one of them (--dtype)`,
        );
      }
    }
    return { source: 'onnx', dtype, files: [...metadata, ...picked] };
  }
  const single = byPath.get(SAFETENSORS_FILE) ?? null;
  const index = byPath.get(SAFETENSORS_INDEX) ?? null;
  if (hasConfig && (single || index)) {
    if (!(OUTPUT_DTYPES as readonly string[]).includes(dtype)) {
      throw new DtypeNotAvailableError(
        `${repoLabel} holds a safetensors checkpoint, which is converted to ONNX after download; the converter makes ${OUTPUT_DTYPES.join(' or ')}, not ${dtype}`,
      );
    }
    return single
      ? { source: 'safetensors', dtype, files: [...metadata, single], index: null }
      : { source: 'safetensors', dtype, files: metadata, index };
  }
  const bin = byPath.has('pytorch_model.bin') ? ' (PyTorch .bin weights are not supported; look for a safetensors or ONNX version)' : '';
  throw new NoMusicgenFilesError(
    `${repoLabel} has no MusicGen files${bin}: expected config.json with onnx/decoder_model_merged{suffix}.onnx or our decoder_model_kvbuffer{suffix}.onnx ` +
      `(transformers.js layout, e.g. Xenova/musicgen-small) or with model.safetensors (e.g. facebook/musicgen-small); found: ${listing()}`,
  );
}

/** The shards a downloaded model.safetensors.index.json names, as repository entries. */
export function shardFiles(repoLabel: string, indexJson: unknown, files: readonly RepoFileEntry[]): RepoFileEntry[] {
  const weightMap = (indexJson as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null) {
    throw new NoMusicgenFilesError(`${repoLabel}: ${SAFETENSORS_INDEX} has no "weight_map"`);
  }
  const names = [...new Set(Object.values(weightMap as Record<string, unknown>))];
  const byPath = new Map(files.map((f) => [f.path, f]));
  return names.map((name) => {
    const entry = typeof name === 'string' ? byPath.get(name) : undefined;
    if (!entry) throw new NoMusicgenFilesError(`${repoLabel}: ${SAFETENSORS_INDEX} names shard ${String(name)}, which the repository does not hold`);
    return entry;
  });
}
