/**
 * Shared pieces of the routes' JSON schemas. The server does not coerce types, so every field
 * has exactly one type: JSON bodies carry real numbers, forms and URLs carry strings that must
 * match these decimal patterns (no sign, spaces, exponent, hex or leading zeros).
 */

/** A positive database id in a URL or form field: 1 to 2^31 - 1 as plain decimal digits. */
export const ID_STRING = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;

/** A score in a form field: 0 to 999 as plain decimal digits (the scale's range is checked by the route). */
export const SCORE_STRING = { type: 'string', pattern: '^(0|[1-9][0-9]{0,2})$' } as const;

/** No query string at all. */
export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;

/** A decimal id string as a number, or null when beyond what the database holds. */
export function idOf(s: string): number | null {
  const n = Number(s);
  return n <= 2 ** 31 - 1 ? n : null;
}
