/**
 * musicgen-ts public API. Layers (DESIGN.md §1): audio <- inference <- analysis <- mos / cli;
 * convert builds model folders.
 */
export { MusicgenError } from './errors.js';

// audio: decode / encode files, resample, loudness, normalise, chroma
export * from './audio/index.js';

// inference: model folders, generation
export { MusicGen, MAX_DURATION, oneHotC } from './inference/musicgen.js';
export type { GenerateOptions, GenerationInput, GenerationResult, GenerationTimings, LoadOptions } from './inference/musicgen.js';
export {
  DEFAULT_GENERATION_PARAMS,
  GENERATION_PARAM_KEYS,
  InvalidGenerationParamError,
  resolveGenerationParams,
} from './inference/generationParams.js';
export type { GenerationParams, ResolvedGenerationParams } from './inference/generationParams.js';
export { AbortError, GenerationInputError, GraphMismatchError, LoadOptionError, MissingModelFileError } from './inference/errors.js';
export { locateModelFiles, MODEL_DTYPE_SUFFIX } from './inference/modelFiles.js';
export type { ModelDtype, ModelFiles } from './inference/modelFiles.js';
export { parseModelConfig, ModelConfigError } from './inference/modelConfig.js';
export type { MusicgenModelConfig } from './inference/modelConfig.js';
export { TextTokenizer } from './inference/textTokenizer.js';
export type { TokenizedBatch } from './inference/textTokenizer.js';
export { buildDelayPatternMask, codebookDelays, revertDelayPattern } from './inference/delayPattern.js';
export { TokenSampler, argmax } from './inference/sampling.js';
export type { SamplingParams } from './inference/sampling.js';
export { Rng } from './inference/rng.js';
export { windowSchedule, melodyOffsetForWindow } from './inference/windowSchedule.js';
export type { GenerationWindow } from './inference/windowSchedule.js';
export { readOnnxMetadata } from './inference/onnxMetadata.js';

// convert: HF checkpoints and seeded random presets -> ONNX model folders
export { convertCheckpoint, synthesizeModel, synthesizeFromConfig, OUTPUT_DTYPES } from './convert/modelFolder.js';
export type { ModelFolderOptions, ModelFolderResult } from './convert/modelFolder.js';
export { kvbufferFromMerged, type KvbufferFromMergedOptions } from './convert/kvbufferFromMerged.js';
export { PRESET_NAMES, presetConfig } from './convert/presets.js';
export {
  ConversionError,
  CorruptCheckpointError,
  MissingTensorError,
  OutputExistsError,
  TensorShapeError,
  UnsupportedDtypeError,
} from './convert/errors.js';

// analysis: sweeps, metrics, DataFrames, plotly figures, reports
export * from './analysis/index.js';

// mos: listening-test server, storage and statistics
export * from './mos/index.js';

// hub: download from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN), cache, convert safetensors repos
export * from './hub/index.js';
/** MusicGen.fromPretrained: download (or reuse the cache) and load a hub repo. */
export { loadPretrained as fromPretrained } from './hub/index.js';
export { cacheDir } from './cacheDir.js';

// app: the local web app (AudioCraft's MusicGen demo)
export * from './app/index.js';
