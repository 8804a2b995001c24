import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of a secret (CSRF token, admin secret) with what a request sent;
 * anything but a string never matches. Hashing first makes the lengths equal for timingSafeEqual.
 */
export function sameSecret(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(createHash('sha256').update(expected).digest(), createHash('sha256').update(given).digest());
}
