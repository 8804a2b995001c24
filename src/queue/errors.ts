import { MusicgenError } from '../errors.js';

/** The queue URL is not a Redis URL this tool can use (the message never holds the password). */
export class QueueUrlError extends MusicgenError {}

/** Redis could not be reached, or was lost for longer than the retry bound. */
export class QueueConnectionError extends MusicgenError {}

/** A batch job failed on a worker after its retries, or a worker's result could not be read. */
export class QueueJobError extends MusicgenError {}

/**
 * A job a worker refuses to run: a malformed payload, another format version, or a model outside
 * the folders the worker may load (`--allow-models`). Never retried.
 */
export class JobPayloadError extends MusicgenError {}
