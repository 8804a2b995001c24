import type { FastifyInstance } from 'fastify';
import { AppFormError, AppInputError, AppUploadError } from '../errors.js';
import { generateBodySchema, parseGenerateForm, type GenerateBody } from '../generateForm.js';
import { ID_PATTERN } from '../randomId.js';
import type { UploadKind } from '../uploads.js';
import { NO_QUERY, type AppContext } from './context.js';

export const jobParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
} as const;

const uploadQuery = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: { kind: { type: 'string', enum: ['melody', 'continuation'] } },
} as const;

/** Upload, submit, interrupt and job status: JSON in and out, session cookie plus CSRF header. */
export function apiRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Raw audio bytes: the page sends the file as the body (no multipart parser needed).
  for (const type of ['application/octet-stream', /^audio\//]) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: ctx.maxUploadBytes }, (_req, body, done) => done(null, body));
  }

  app.post<{ Querystring: { kind: UploadKind }; Body: Buffer }>(
    '/api/upload',
    { schema: { querystring: uploadQuery }, bodyLimit: ctx.maxUploadBytes, config: { rateLimit: { max: 60, timeWindow: '1 minute' } } },
    async (req) => {
      const session = ctx.sessions.requireWithCsrf(req);
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
        throw new AppUploadError(400, req.query.kind, 'the upload is empty: choose an audio file');
      }
      return ctx.uploads.add(session.id, req.query.kind, req.body);
    },
  );

  app.post<{ Body: GenerateBody }>('/api/generate', { schema: { body: generateBodySchema, querystring: NO_QUERY } }, async (req, reply) => {
    const session = ctx.sessions.requireWithCsrf(req);
    const model = ctx.models.find((m) => m.id === req.body.model);
    if (!model) throw new AppInputError('model', `no model "${req.body.model}" here; reload the page to see the list`);
    let input;
    try {
      input = parseGenerateForm(req.body, model, ctx.uploads, session.id);
    } catch (err) {
      // Every wrong field at once (the shared error reply carries one field only).
      if (err instanceof AppFormError) return reply.code(400).send({ error: err.message, field: err.field, fields: err.problems });
      throw err;
    }
    const { id, event } = ctx.jobs.submit(session.id, model, input);
    return reply.code(202).send({ job: id, event, params: input.params });
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/interrupt', { schema: { params: jobParams, querystring: NO_QUERY } }, async (req) => {
    const session = ctx.sessions.requireWithCsrf(req);
    return { status: ctx.jobs.interrupt(req.params.id, session.id) };
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/remove', { schema: { params: jobParams, querystring: NO_QUERY } }, async (req) => {
    const session = ctx.sessions.requireWithCsrf(req);
    ctx.jobs.remove(req.params.id, session.id);
    return { removed: true };
  });

  // The take list: every finished generation of this browser session whose files are kept.
  app.get('/api/takes', { schema: { querystring: NO_QUERY } }, async (req) => {
    const session = ctx.sessions.require(req);
    return { takes: ctx.jobs.takes(session.id) };
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: jobParams, querystring: NO_QUERY } }, async (req) => {
    const session = ctx.sessions.require(req);
    return ctx.jobs.status(req.params.id, session.id);
  });
}
