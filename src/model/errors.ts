import { MusicgenError } from '../errors.js';

/** A model folder lacks a file the model needs. */
export class MissingModelFileError extends MusicgenError {}
