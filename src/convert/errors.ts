import { MusicgenError } from '../errors.js';

/** Base of every error raised while turning a checkpoint or preset into an ONNX model folder. */
export class ConversionError extends MusicgenError {}

/** A tensor the architecture needs is absent from the checkpoint. */
export class MissingTensorError extends ConversionError {}

/** A tensor has a shape other than the one config.json implies. */
export class TensorShapeError extends ConversionError {}

/** A safetensors file whose header or data cannot be trusted. */
export class CorruptCheckpointError extends ConversionError {}

/** A tensor dtype or a requested output precision we do not handle. */
export class UnsupportedDtypeError extends ConversionError {}

/** The output folder exists and --force was not given. */
export class OutputExistsError extends ConversionError {}
