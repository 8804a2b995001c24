import { HttpError } from '../web/httpError.js';

/**
 * Errors of the generation web app. Each carries the HTTP status the server answers with, so
 * routes throw and the error handler maps them without leaking internals to the page.
 */
export class AppError extends HttpError {}

/** A form field is wrong; `field` names the input the page shows the message next to. */
export class AppInputError extends AppError {
  override readonly statusCode = 400;
  constructor(
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Several form fields are wrong at once: the page marks each of them. */
export class AppFormError extends AppInputError {
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems[0]?.field ?? null, problems.map((p) => p.message).join('; '));
  }
}

/** No such job, file, model or upload (or not this browser's). */
export class AppNotFoundError extends AppError {
  override readonly statusCode = 404;
}

/** Missing session cookie or CSRF token, or a Host header that is not this machine. */
export class AppAuthError extends AppError {
  override readonly statusCode = 403;
}

/** Every queue slot of a model is taken. */
export class AppQueueFullError extends AppError {
  override readonly statusCode = 503;
}

/** An upload is too large or not audio the toolkit can decode. */
export class AppUploadError extends AppError {
  constructor(
    override readonly statusCode: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The generation worker failed (crashed, could not load the model, or the library threw). */
export class AppWorkerError extends AppError {}

/** A job was interrupted (Interrupt button, or the server closing). */
export class JobAbortedError extends AppError {
  override readonly statusCode = 409;
}
