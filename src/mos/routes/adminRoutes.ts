import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setSessionCookie } from '../../web/sessionCookie.js';
import { ADMIN_COOKIE, checkCsrf } from '../auth.js';
import { MosAuthError, MosNotFoundError } from '../errors.js';
import { exportJson, ratingsCsv } from '../export.js';
import { dashboardPage, loginPage, testPage } from '../pages/adminPages.js';
import { buildReport } from '../stats.js';
import type { RouteContext } from './context.js';
import { ID_STRING, idOf, NO_QUERY } from './schemas.js';

const noQuery = NO_QUERY;
const testParams = {
  type: 'object',
  required: ['testId'],
  additionalProperties: false,
  properties: { testId: ID_STRING },
} as const;
const loginBody = {
  type: 'object',
  required: ['secret'],
  additionalProperties: false,
  properties: { secret: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;
const csrfBody = {
  type: 'object',
  required: ['csrf'],
  additionalProperties: false,
  properties: { csrf: { type: 'string', maxLength: 64 } },
} as const;
const inviteBody = {
  type: 'object',
  required: ['csrf', 'count'],
  additionalProperties: false,
  properties: {
    csrf: { type: 'string', maxLength: 64 },
    count: { type: 'string', pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$' }, // 1-500
    label: { type: 'string', maxLength: 60, pattern: '^[\\p{L}\\p{N} _.:=+-]*$' },
  },
} as const;

/** Admin pages: login, dashboard, per-test report, invitations, CSV/JSON export. */
export function adminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, admin } = ctx;

  /** The admin's CSRF token (null for bearer auth), or a 403 / login page. */
  const requireAdmin = (req: FastifyRequest): string | null => {
    const who = admin.identify(req);
    if (!who) throw new MosAuthError('admin login required: open /admin and enter the admin secret');
    return who.kind === 'cookie' ? who.csrf : null;
  };
  const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
  const testOf = (param: string) => {
    const id = idOf(param);
    if (id === null) throw new MosNotFoundError(`no test with id ${param}`);
    return store.testById(id);
  };

  app.get('/admin', { schema: { querystring: noQuery } }, async (req, reply) => {
    const who = admin.identify(req);
    if (!who) return html(reply, loginPage());
    const tests = store.listTests().map((test) => ({
      test,
      setName: store.listSets().find((s) => s.id === test.setId)?.name ?? '?',
      ratings: store.countRatings(test.id),
      raters: store.countRaters(test.id),
    }));
    return html(reply, dashboardPage(tests, ctx.publicUrl, who.kind === 'cookie' ? who.csrf : null));
  });

  app.post<{ Body: { secret: string } }>(
    '/admin/login',
    { schema: { body: loginBody, querystring: noQuery }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } },
    async (req, reply) => {
      if (!admin.secretMatches(req.body.secret)) return html(reply.code(403), loginPage('Wrong secret.'));
      const s = admin.create();
      setSessionCookie(reply, ADMIN_COOKIE, s.id, ctx.cookies);
      return reply.redirect('/admin', 303);
    },
  );

  app.post<{ Body: { csrf: string } }>('/admin/logout', { schema: { body: csrfBody, querystring: noQuery } }, async (req, reply) => {
    const who = admin.identify(req);
    if (who?.kind === 'cookie') {
      checkCsrf(who.csrf, req.body.csrf);
      admin.end(who.id);
    }
    reply.clearCookie(ADMIN_COOKIE, { path: '/' });
    return reply.redirect('/admin', 303);
  });

  app.get<{ Params: { testId: string } }>('/admin/tests/:testId', { schema: { params: testParams, querystring: noQuery } }, async (req, reply) => {
    const csrf = requireAdmin(req);
    const test = testOf(req.params.testId);
    return html(reply, testPage(test, buildReport(store.ratingsOf(test.id), test.scale), csrf));
  });

  app.post<{ Params: { testId: string }; Body: { csrf: string; count: string; label?: string } }>(
    '/admin/tests/:testId/invites',
    { schema: { params: testParams, body: inviteBody, querystring: noQuery } },
    async (req, reply) => {
      const csrf = requireAdmin(req);
      if (csrf !== null) checkCsrf(csrf, req.body.csrf);
      const test = testOf(req.params.testId);
      const links = store.transaction(() =>
        Array.from({ length: Number(req.body.count) }, () => `${ctx.publicUrl}/i/${store.createRater(test.id, req.body.label || null).token}`),
      );
      return html(reply, testPage(test, buildReport(store.ratingsOf(test.id), test.scale), csrf, links));
    },
  );

  app.get<{ Params: { testId: string } }>('/admin/tests/:testId/export.csv', { schema: { params: testParams, querystring: noQuery } }, async (req, reply) => {
    requireAdmin(req);
    const test = testOf(req.params.testId);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="mos-test-${test.id}.csv"`)
      .send(ratingsCsv(store.ratingsOf(test.id)));
  });

  app.get<{ Params: { testId: string } }>('/admin/tests/:testId/export.json', { schema: { params: testParams, querystring: noQuery } }, async (req, reply) => {
    requireAdmin(req);
    const test = testOf(req.params.testId);
    const records = store.ratingsOf(test.id);
    return reply.type('application/json; charset=utf-8').send(exportJson(test.name, records, buildReport(records, test.scale)));
  });
}
