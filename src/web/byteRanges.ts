import type { FastifyReply } from 'fastify';

/**
 * Files served whole or in one byte range (`Range: bytes=a-b | a- | -n`), for both servers' audio
 * players: Safari plays media only from servers that honour ranges. The header schema is the
 * route's first check, so only a single well-formed range reaches byteRange.
 */
export const RANGE_HEADERS = {
  type: 'object',
  properties: { range: { type: 'string', pattern: '^bytes=[0-9]{0,15}-[0-9]{0,15}$' } },
} as const;

/** One byte range of a `Range: bytes=a-b | a- | -n` header, or null if it cannot be satisfied. */
export function byteRange(header: string, size: number): { start: number; end: number } | null {
  const [a, b] = header.slice('bytes='.length).split('-');
  let start: number;
  let end: number;
  if (a === '') {
    if (b === '') return null;
    start = Math.max(0, size - Number(b)); // suffix: the last n bytes
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}

/**
 * Sends `bytes` whole (200), the requested range (206 with content-range) or 416 when the range
 * lies past the end; says `accept-ranges: bytes` either way. The caller sets the content type.
 */
export function sendByteRange(reply: FastifyReply, bytes: Buffer, range: string | undefined): FastifyReply {
  reply.header('accept-ranges', 'bytes');
  if (range === undefined) return reply.send(bytes);
  const r = byteRange(range, bytes.length);
  if (!r) return reply.code(416).header('content-range', `bytes */${bytes.length}`).send();
  return reply
    .code(206)
    .header('content-range', `bytes ${r.start}-${r.end}/${bytes.length}`)
    .send(bytes.subarray(r.start, r.end + 1));
}
