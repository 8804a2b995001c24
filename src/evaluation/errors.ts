import { MusicgenError } from '../errors.js';

/** Bad input to the evaluation stage: codes that do not fit the model, a missing condition, … */
export class EvaluationInputError extends MusicgenError {}

/** A dataset folder or manifest that cannot be read as AudioCraft reads it. */
export class DatasetError extends MusicgenError {}

/** A token cache folder whose files are missing, malformed or made for another model. */
export class TokenCacheError extends MusicgenError {}
