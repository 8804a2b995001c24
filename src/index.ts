/**
 * musicgen-ts public API: the library core (audio, generation, hub downloads). The layers of src/
 * and which may import which: docs/ARCHITECTURE.md.
 *
 * The servers, the analysis layer and the converter are subpath exports (package.json "exports"),
 * so that importing the core loads no fastify, better-sqlite3, danfojs or plotly:
 *   musicgen-ts/analysis  sweeps, metrics, DataFrames, plotly figures, reports
 *   musicgen-ts/convert   HF checkpoints and seeded presets -> ONNX model folders
 *   musicgen-ts/evaluation  token caches, teacher-forced cross-entropy / perplexity on datasets
 *   musicgen-ts/mos       the listening-test server, its storage and statistics
 *   musicgen-ts/app       the local web app
 *   musicgen-ts/notebook  display helpers for the tslab kernel
 */
export { MusicgenError } from './errors.js';

// audio: decode / encode files, resample, loudness, normalise, chroma
export * from './audio/index.js';

// inference: model folders, generation
export { MusicGen, MAX_DURATION, oneHotC, batchRequest } from './inference/musicgen.js';
export type {
  BatchItem,
  BatchResult,
  GenerateOptions,
  GenerationInput,
  GenerationRequest,
  GenerationResult,
  GenerationTimings,
  ItemSettings,
  LoadOptions,
  RequestResult,
} from './inference/musicgen.js';
export type { PreparedGeneration } from './inference/generationPipeline.js';
export { MelodyConditioner, type MelodyInput } from './inference/melodyConditioning.js';
export {
  DEFAULT_GENERATION_PARAMS,
  GENERATION_PARAM_KEYS,
  InvalidGenerationParamError,
  resolveGenerationParams,
} from './inference/generationParams.js';
export type { GenerationParams, ResolvedGenerationParams } from './inference/generationParams.js';
export { AbortError, GenerationInputError, GraphMismatchError, LoadOptionError } from './inference/errors.js';
export { MissingModelFileError } from './model/errors.js';
export { locateModelFiles, MODEL_DTYPE_SUFFIX } from './model/modelFiles.js';
export type { ModelDtype, ModelFiles } from './model/modelFiles.js';
export { parseModelConfig, ModelConfigError } from './model/modelConfig.js';
export type { MusicgenModelConfig } from './model/modelConfig.js';
export { TextTokenizer } from './inference/textTokenizer.js';
export type { TokenizedBatch } from './inference/textTokenizer.js';
export { buildDelayPatternMask, codebookDelays, revertDelayPattern } from './inference/delayPattern.js';
export { TokenSampler, argmax } from './inference/sampling.js';
export type { SamplingParams } from './inference/sampling.js';
export { Rng } from './inference/rng.js';
export { windowSchedule, melodyOffsetForWindow } from './inference/windowSchedule.js';
export type { GenerationWindow } from './inference/windowSchedule.js';
export { readOnnxMetadata } from './model/onnxMetadata.js';

// hub: download from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN), cache, convert safetensors repos
export * from './hub/index.js';
/** MusicGen.fromPretrained: download (or reuse the cache) and load a hub repo. */
export { loadPretrained as fromPretrained } from './hub/index.js';
export { cacheDir } from './cacheDir.js';
