import { MusicgenError } from '../errors.js';

/**
 * An error a web server answers with its own status and message. Routes throw a subclass and the
 * error handler (errorReplies.ts) shows the message to the client as it is, so messages must be
 * written for users; anything else becomes a bare 500 "internal error".
 */
export class HttpError extends MusicgenError {
  readonly statusCode: number = 500;
}
