/**
 * Base class of every error musicgen-ts throws on purpose. Messages say what is wrong and how to
 * fix it; `name` is the subclass name so callers can branch on it without instanceof across
 * module copies.
 */
export class MusicgenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
