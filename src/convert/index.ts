// Public API of the converter (`musicgen-ts/convert`): HF checkpoints and seeded random presets
// -> ONNX model folders (docs/MODEL_FORMAT.md).
export { convertCheckpoint, synthesizeModel, synthesizeFromConfig, OUTPUT_DTYPES } from './modelFolder.js';
export type { ModelFolderOptions, ModelFolderResult } from './modelFolder.js';
export { kvbufferFromMerged, type KvbufferFromMergedOptions } from './kvbufferFromMerged.js';
export { PRESET_NAMES, presetConfig } from './presets.js';
export {
  ConversionError,
  CorruptCheckpointError,
  MissingTensorError,
  OutputExistsError,
  TensorShapeError,
  UnsupportedDtypeError,
} from './errors.js';

