import { randomBytes } from 'node:crypto';

/** Unguessable URL-safe ids for sessions, CSRF tokens, jobs and uploads (128 bits). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** What randomId() produces: 22 URL-safe characters. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{22}$';
