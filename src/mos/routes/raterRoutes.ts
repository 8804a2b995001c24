import type { FastifyInstance } from 'fastify';
import { setSessionCookie } from '../../web/sessionCookie.js';
import { checkCsrf, currentRater, RATER_COOKIE, TOKEN_PATTERN } from '../auth.js';
import { MosInputError, MosNotFoundError, MosRuleError } from '../errors.js';
import { checkCoverage, type PlayedRange } from '../listening.js';
import { donePage, trialPage } from '../pages/trialPage.js';
import { SCALE_INFO } from '../scales.js';
import type { RouteContext } from './context.js';
import { ID_STRING, idOf, NO_QUERY, SCORE_STRING } from './schemas.js';

const CLIP_ID = '^[A-Za-z0-9_-]{16}$';

const tokenParams = {
  type: 'object',
  required: ['token'],
  additionalProperties: false,
  properties: { token: { type: 'string', pattern: TOKEN_PATTERN } },
} as const;

const csrfForm = {
  type: 'object',
  required: ['csrf'],
  additionalProperties: false,
  properties: { csrf: { type: 'string', pattern: TOKEN_PATTERN } },
} as const;

const rateForm = {
  type: 'object',
  required: ['csrf', 'assignment'],
  additionalProperties: false,
  minProperties: 3,
  maxProperties: 40,
  properties: {
    csrf: { type: 'string', pattern: TOKEN_PATTERN },
    assignment: ID_STRING,
  },
  // One score per clip on the page: s_<clip public id> = a decimal string (range checked per scale).
  patternProperties: { '^s_[A-Za-z0-9_-]{16}$': SCORE_STRING },
} as const;

const playBody = {
  type: 'object',
  required: ['assignment', 'clip', 'event'],
  additionalProperties: false,
  properties: {
    assignment: { type: 'integer', minimum: 1, maximum: 2 ** 31 },
    clip: { type: 'string', pattern: CLIP_ID },
    event: { type: 'string', enum: ['start', 'ended'] },
    // The page's `audio.played` time ranges in seconds (required with 'ended').
    ranges: {
      type: 'array',
      maxItems: 200,
      items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0, maximum: 86400 } },
    },
  },
  if: { properties: { event: { const: 'ended' } } },
  then: { required: ['ranges'] },
} as const;

const csrfHeader = {
  type: 'object',
  required: ['x-csrf-token'],
  properties: { 'x-csrf-token': { type: 'string', pattern: TOKEN_PATTERN } },
} as const;

const noQuery = NO_QUERY;

/** Rater pages: invitation and open links, the session page, play events, rating submission. */
export function raterRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  // Lax: raters arrive by clicking a link on another site (webmail, chat); with Strict the cookie
  // set here would not be sent on the redirect nor on a reload. Every POST checks the CSRF token.
  const raterCookie = { ...ctx.cookies, sameSite: 'lax' } as const;

  // Invitation link: remember the token in an httpOnly cookie and drop it from the address bar.
  app.get<{ Params: { token: string } }>('/i/:token', { schema: { params: tokenParams, querystring: noQuery } }, async (req, reply) => {
    const rater = store.raterByToken(req.params.token);
    if (!rater) throw new MosNotFoundError('this invitation link is not valid; ask the organiser for a new one');
    setSessionCookie(reply, RATER_COOKIE, rater.token, raterCookie);
    return reply.redirect('/session', 303);
  });

  // Open link: anyone with it becomes a new rater (once per browser: an existing session is reused).
  // Each visit without a session creates a rater: limit it harder than the rest (per IP).
  const openLimit = { rateLimit: { max: 30, timeWindow: '1 minute' } };
  app.get<{ Params: { token: string } }>('/open/:token', { schema: { params: tokenParams, querystring: noQuery }, config: openLimit }, async (req, reply) => {
    const test = store.testByOpenCode(req.params.token);
    if (!test) throw new MosNotFoundError('this link is not valid (or the test is closed)');
    const existing = req.cookies[RATER_COOKIE];
    const known = typeof existing === 'string' ? store.raterByToken(existing) : undefined;
    if (!known || known.testId !== test.id) {
      const rater = store.createRater(test.id, 'open link');
      setSessionCookie(reply, RATER_COOKIE, rater.token, raterCookie);
    }
    return reply.redirect('/session', 303);
  });

  // The next page to rate; resumes where the rater left off (state is all server-side).
  app.get('/session', { schema: { querystring: noQuery } }, async (req, reply) => {
    const rater = currentRater(store, req);
    let list = store.assignmentsOf(rater);
    if (list.length === 0) {
      store.assignBatch(rater.id);
      list = store.assignmentsOf(rater);
    }
    const index = list.findIndex((a) => !a.completed);
    reply.type('text/html; charset=utf-8');
    if (index < 0) return donePage(rater.csrf, store.remainingFor(rater) > 0, list.length);
    const test = store.testById(rater.testId);
    const assignment = list[index];
    return trialPage({
      scale: test.scale,
      assignment,
      index,
      total: list.length,
      csrf: rater.csrf,
      heard: store.heardClips(assignment.id),
      minListenRatio: ctx.minListenRatio,
    });
  });

  app.post<{ Body: { csrf: string } }>('/more', { schema: { body: csrfForm, querystring: noQuery } }, async (req, reply) => {
    const rater = currentRater(store, req);
    checkCsrf(rater.csrf, req.body.csrf);
    // Idempotent: while a page of the current batch is unrated this adds nothing (a double click
    // or a script cannot hoard pages); /session then shows that page.
    store.assignBatch(rater.id);
    return reply.redirect('/session', 303);
  });

  app.post<{ Body: { assignment: number; clip: string; event: 'start' | 'ended'; ranges?: PlayedRange[] } }>(
    '/api/play',
    { schema: { body: playBody, headers: csrfHeader, querystring: noQuery } },
    async (req, reply) => {
      const rater = currentRater(store, req);
      checkCsrf(rater.csrf, req.headers['x-csrf-token']);
      const a = store.assignmentsOf(rater).find((x) => x.id === req.body.assignment);
      if (!a) throw new MosNotFoundError('no such page in your session');
      const clip = [...a.clips, ...(a.reference ? [a.reference] : [])].find((c) => c.publicId === req.body.clip);
      if (!clip) throw new MosNotFoundError('no such clip on this page');
      if (a.completed) throw new MosRuleError('this page was already rated');
      if (req.body.event === 'start') store.playStarted(a.id, clip.id, ctx.now());
      else {
        checkCoverage(req.body.ranges ?? [], clip.durationS, ctx.minListenRatio);
        store.playEnded(a.id, clip.id, ctx.now(), clip.durationS * 1000 * ctx.minListenRatio);
      }
      return reply.code(204).send();
    },
  );

  app.post<{ Body: Record<string, string> }>('/rate', { schema: { body: rateForm, querystring: noQuery } }, async (req, reply) => {
    const rater = currentRater(store, req);
    checkCsrf(rater.csrf, req.body.csrf);
    const id = idOf(req.body.assignment);
    const a = store.assignmentsOf(rater).find((x) => x.id === id);
    if (!a) throw new MosNotFoundError('no such page in your session');
    const info = SCALE_INFO[store.testById(rater.testId).scale];
    const scores = new Map<number, number>();
    for (const c of a.clips) {
      const s = req.body[`s_${c.publicId}`];
      if (typeof s !== 'string') throw new MosInputError('rate every sample on the page');
      const v = Number(s); // a decimal string (the schema's pattern)
      if (v < info.min || v > info.max || (info.integer && !Number.isInteger(v)))
        throw new MosInputError(`scores on this test go from ${info.min} to ${info.max}`);
      scores.set(c.id, v);
    }
    if (Object.keys(req.body).length !== a.clips.length + 2) throw new MosInputError('the form holds scores for clips not on this page');
    store.saveRatings(a.id, scores);
    return reply.redirect('/session', 303);
  });
}
