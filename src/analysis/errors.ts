import { MusicgenError } from '../errors.js';

/** A sweep spec field is missing, has the wrong type or an out-of-range value; the message names the field. */
export class SweepSpecError extends MusicgenError {}

/** The sweep output folder holds something the runner cannot reuse or overwrite. */
export class SweepOutputError extends MusicgenError {}

/** A metric got input it cannot measure (empty codes, too-short audio, mismatched embeddings). */
export class MetricInputError extends MusicgenError {}

/** A figure could not be built from the given rows (no rows, a missing column). */
export class FigureDataError extends MusicgenError {}

/** Headless chromium could not be started or failed to render a figure. */
export class FigureRenderError extends MusicgenError {}
