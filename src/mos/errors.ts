import { HttpError } from '../web/httpError.js';

/**
 * Errors of the listening-test server. Each carries the HTTP status the server answers with, so
 * routes can throw and the error handler maps them without leaking internals to the client.
 */
export class MosError extends HttpError {}

/** A request is well formed but asks for something that does not exist (or is not the caller's). */
export class MosNotFoundError extends MosError {
  override readonly statusCode = 404;
}

/** The request breaks a rule of the test (rating before playback ended, out of range, twice). */
export class MosRuleError extends MosError {
  override readonly statusCode = 409;
}

/** Missing or wrong credentials: rater cookie, CSRF token or admin secret. */
export class MosAuthError extends MosError {
  override readonly statusCode = 403;
}

/** Too many attempts (wrong admin secrets from everywhere together); retry later. */
export class MosTooManyError extends MosError {
  override readonly statusCode = 429;
}

/** Import or configuration problem (bad manifest, missing audio, unknown test). */
export class MosInputError extends MosError {
  override readonly statusCode = 400;
}
