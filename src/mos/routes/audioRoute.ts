import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { currentRater } from '../auth.js';
import { MosNotFoundError } from '../errors.js';
import type { RouteContext } from './context.js';
import { RANGE_HEADERS, sendByteRange } from '../../web/byteRanges.js';

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
    { schema: { params, headers: RANGE_HEADERS, querystring: { type: 'object', additionalProperties: false, properties: {} } } },
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
      reply.type('audio/wav').header('cache-control', 'private, max-age=3600');
      return sendByteRange(reply, bytes, req.headers.range);
    },
  );
}
