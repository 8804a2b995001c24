import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { currentRater } from '../auth.js';
import { MosNotFoundError } from '../errors.js';
import type { RouteContext } from './context.js';

const headers = {
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

const params = {
  type: 'object',
  required: ['clip'],
  additionalProperties: false,
  properties: { clip: { type: 'string', pattern: '^[A-Za-z0-9_-]{16}$' } },
} as const;

/**
 * Audio by clip id only: the id is looked up in the database and the stored playback path is
 * read. Nothing from the request ever becomes part of a path. A rater hears only clips of their
 * own assignments (an admin hears any).
 */
export function audioRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Params: { clip: string }; Headers: { range?: string } }>(
    '/audio/:clip',
    { schema: { params, headers, querystring: { type: 'object', additionalProperties: false, properties: {} } } },
    async (req, reply) => {
      const clip = ctx.store.clipByPublicId(req.params.clip);
      if (!clip) throw new MosNotFoundError('no such clip');
      if (ctx.admin.identify(req) === null) {
        const rater = currentRater(ctx.store, req);
        if (!ctx.store.raterMayHear(rater, clip)) throw new MosNotFoundError('no such clip');
      }
      const bytes = await readFile(clip.playbackPath).catch(() => {
        throw new MosNotFoundError('the audio of this clip is missing on the server; tell the organiser');
      });
      reply.type('audio/wav').header('cache-control', 'private, max-age=3600').header('accept-ranges', 'bytes');
      // Byte ranges: Safari plays media only from servers that honour them.
      const range = req.headers.range;
      if (range === undefined) return reply.send(bytes);
      const r = byteRange(range, bytes.length);
      if (!r) return reply.code(416).header('content-range', `bytes */${bytes.length}`).send();
      return reply
        .code(206)
        .header('content-range', `bytes ${r.start}-${r.end}/${bytes.length}`)
        .send(bytes.subarray(r.start, r.end + 1));
    },
  );
}
