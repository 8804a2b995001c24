import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { AppNotFoundError } from '../errors.js';
import { ID_PATTERN } from '../randomId.js';
import { NO_QUERY, type AppContext } from './context.js';
import { RANGE_HEADERS, sendByteRange } from '../../web/byteRanges.js';

const params = {
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    // Only the names the worker writes; the job must also list the file.
    name: { type: 'string', pattern: '^((sample|waveform|spectrogram)-[0-9]\\.(wav|png)|melody-chroma\\.png|params\\.json)$' },
  },
} as const;

const TYPES: Record<string, string> = { wav: 'audio/wav', png: 'image/png', json: 'application/json; charset=utf-8' };

/** A finished job's files, to the session that made it, with byte ranges for the audio player. */
export function fileRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string; name: string }; Headers: { range?: string } }>(
    '/files/:id/:name',
    { schema: { params, headers: RANGE_HEADERS, querystring: NO_QUERY } },
    async (req, reply) => {
      const session = ctx.sessions.require(req);
      const path = ctx.jobs.filePath(req.params.id, session.id, req.params.name);
      const bytes = await readFile(path).catch(() => {
        throw new AppNotFoundError('this file has expired (results are kept an hour)');
      });
      const ext = req.params.name.slice(req.params.name.lastIndexOf('.') + 1);
      reply.type(TYPES[ext] ?? 'application/octet-stream').header('cache-control', 'private, max-age=3600');
      return sendByteRange(reply, bytes, req.headers.range);
    },
  );
}
