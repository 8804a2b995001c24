import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { byteRange } from '../../mos/routes/audioRoute.js';
import { AppNotFoundError } from '../errors.js';
import { ID_PATTERN } from '../randomId.js';
import { NO_QUERY, type AppContext } from './context.js';

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

const headers = {
  type: 'object',
  properties: { range: { type: 'string', pattern: '^bytes=[0-9]{0,15}-[0-9]{0,15}$' } },
} as const;

const TYPES: Record<string, string> = { wav: 'audio/wav', png: 'image/png', json: 'application/json; charset=utf-8' };

/** A finished job's files, to the session that made it, with byte ranges for the audio player. */
export function fileRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string; name: string }; Headers: { range?: string } }>(
    '/files/:id/:name',
    { schema: { params, headers, querystring: NO_QUERY } },
    async (req, reply) => {
      const session = ctx.sessions.require(req);
      const path = ctx.jobs.filePath(req.params.id, session.id, req.params.name);
      const bytes = await readFile(path).catch(() => {
        throw new AppNotFoundError('this file has expired (results are kept an hour)');
      });
      const ext = req.params.name.slice(req.params.name.lastIndexOf('.') + 1);
      reply.type(TYPES[ext] ?? 'application/octet-stream').header('cache-control', 'private, max-age=3600').header('accept-ranges', 'bytes');
      const range = req.headers.range;
      if (range === undefined) return reply.send(bytes);
      const r = byteRange(range, bytes.length);
      if (!r) return reply.code(416).header('content-range', `bytes */${bytes.length}`).send();
      return reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${bytes.length}`).send(bytes.subarray(r.start, r.end + 1));
    },
  );
}
