import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_FAILURE_BUDGET } from '../../src/mos/auth.js';
import { randomToken } from '../../src/mos/random.js';
import type { MosStore } from '../../src/mos/store.js';
import { ADMIN_SECRET, Client, parseTrial, storeWithAudio, testServer } from './serverFixture.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function setup(scale: 'acr' | 'ovl' | 'mushra' = 'acr', extra = {}) {
  const store = storeWithAudio();
  const test = store.createTest({ setName: 'set', name: `t-${scale}`, scale, trialsPerRater: 3, trapsPerRater: 1, openLink: true, seed: 5 });
  const { app, clock } = await testServer(store, extra);
  cleanup.push(() => app.close(), () => store.close());
  return { store, test, app, clock };
}

/** Plays every rated clip of the current page to the end on the fake clock. */
async function listen(c: Client, clock: { ms: number }, page: ReturnType<typeof parseTrial>) {
  for (const clip of page.rated) {
    const h = { 'x-csrf-token': page.csrf };
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'start' }, headers: h })).statusCode).toBe(204);
    clock.ms += 950;
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'ended', ranges: [[0, 1]] }, headers: h })).statusCode).toBe(204);
  }
}

async function invited(store: MosStore, app: Awaited<ReturnType<typeof setup>>['app'], testId: number) {
  const rater = store.createRater(testId, 'r');
  const c = new Client(app);
  const res = await c.request({ url: `/i/${rater.token}` });
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe('/session');
  return { c, rater };
}

describe('MOS server: rater flow', () => {
  it('invitation sets an httpOnly SameSite=Lax cookie (links are clicked on other sites); rater rates every page, resumes, admin sees ratings', async () => {
    const { store, test, app, clock } = await setup('acr');
    const { c } = await invited(store, app, test.id);
    const setCookie = String(c.cookies.size && (await c.request({ url: `/i/${store.createRater(test.id).token}` })).headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    // (that second invitation switched the client to a new rater; log back in as the first)
    const { c: rater } = await invited(store, app, test.id);
    const seen: number[] = [];
    for (let k = 0; k < 4; k++) {
      const res = await rater.request({ url: '/session' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(res.body).toContain(`Page ${k + 1} of 4`);
      expect(res.body).not.toMatch(/>A<|>B<|trap/); // blind: no system names on the page
      const page = parseTrial(res.body);
      seen.push(page.assignment);
      await listen(rater, clock, page);
      if (k === 1) {
        // Reload mid-page: same page again, clip already marked heard.
        const again = await rater.request({ url: '/session' });
        expect(parseTrial(again.body).assignment).toBe(page.assignment);
        expect(again.body).toContain('data-heard="1"');
      }
      const form: Record<string, string | number> = { csrf: page.csrf, assignment: page.assignment };
      for (const clip of page.rated) form[`s_${clip}`] = 4;
      const ok = await rater.request({ url: '/rate', form });
      expect(ok.statusCode).toBe(303);
    }
    expect(new Set(seen).size).toBe(4);
    const done = await rater.request({ url: '/session' });
    expect(done.body).toContain('Thank you');
    expect(done.body).toContain('Rate more samples');
    expect(store.countRatings(test.id)).toBe(4);

    const admin = new Client(app);
    expect((await admin.request({ url: `/admin/tests/${test.id}` })).statusCode).toBe(403);
    expect((await admin.request({ url: '/admin/login', form: { secret: 'wrong' } })).statusCode).toBe(403);
    const login = await admin.request({ url: '/admin/login', form: { secret: ADMIN_SECRET } });
    expect(login.statusCode).toBe(303);
    expect(String(login.headers['set-cookie'])).toMatch(/SameSite=Strict/); // admins never arrive by a link
    const report = await admin.request({ url: `/admin/tests/${test.id}` });
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('4 ratings from 1 raters');
    expect(report.body).toContain('<svg');
    const csv = await admin.request({ url: `/admin/tests/${test.id}/export.csv` });
    expect(csv.body.trim().split('\r\n')).toHaveLength(5);
    const json = await app.inject({ url: `/admin/tests/${test.id}/export.json`, headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
    expect(JSON.parse(json.body).ratings).toHaveLength(4);
  });

  it('audio honours single byte ranges (Safari needs them)', async () => {
    const { store, test, app } = await setup('acr');
    const { c } = await invited(store, app, test.id);
    const clip = parseTrial((await c.request({ url: '/session' })).body).rated[0];
    const full = await c.request({ url: `/audio/${clip}` });
    expect(full.statusCode).toBe(200);
    expect(full.headers['accept-ranges']).toBe('bytes');
    const size = full.rawPayload.length;
    const head = await c.request({ url: `/audio/${clip}`, headers: { range: 'bytes=0-99' } });
    expect(head.statusCode).toBe(206);
    expect(head.headers['content-range']).toBe(`bytes 0-99/${size}`);
    expect(head.rawPayload.equals(full.rawPayload.subarray(0, 100))).toBe(true);
    const tail = await c.request({ url: `/audio/${clip}`, headers: { range: 'bytes=-10' } });
    expect(tail.rawPayload.equals(full.rawPayload.subarray(size - 10))).toBe(true);
    const open = await c.request({ url: `/audio/${clip}`, headers: { range: `bytes=${size - 4}-` } });
    expect(open.headers['content-range']).toBe(`bytes ${size - 4}-${size - 1}/${size}`);
    expect((await c.request({ url: `/audio/${clip}`, headers: { range: `bytes=${size}-` } })).statusCode).toBe(416);
    expect((await c.request({ url: `/audio/${clip}`, headers: { range: 'bytes=0-1,4-5' } })).statusCode).toBe(400);
    expect((await c.request({ url: `/audio/${clip}`, headers: { range: 'bytes=../../etc/passwd' } })).statusCode).toBe(400);
  });

  it('open link creates one rater per browser', async () => {
    const { store, test, app } = await setup('ovl');
    const c = new Client(app);
    expect((await c.request({ url: `/open/${test.openCode}` })).statusCode).toBe(303);
    expect((await c.request({ url: `/open/${test.openCode}` })).statusCode).toBe(303);
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM raters').get() as { n: number }).n).toBe(1);
    const page = await c.request({ url: '/session' });
    expect(page.body).toContain('type="range"');
  });

  it('MUSHRA page: reference plus shuffled stimuli incl. hidden reference and two anchors, all rated', async () => {
    const { store, test, app, clock } = await setup('mushra');
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    expect(page.clips).toHaveLength(6); // reference + A + B + hidden reference + 2 anchors
    expect(page.rated).toHaveLength(5);
    await listen(c, clock, page);
    const form: Record<string, string | number> = { csrf: page.csrf, assignment: page.assignment };
    page.rated.forEach((clip, i) => (form[`s_${clip}`] = 20 * i));
    expect((await c.request({ url: '/rate', form })).statusCode).toBe(303);
    const kinds = store.ratingsOf(test.id).map((r) => r.kind).sort();
    expect(kinds).toEqual(['anchor35', 'anchor70', 'hidden_reference', 'system', 'system']);
  });
});

describe('MOS server: attacks are rejected', () => {
  const noLeak = (body: string) => {
    expect(body).not.toMatch(/root:|\/home\/|\.ts:\d+|\n\s+at /);
  };

  it('path traversal and absolute paths in every parameter', async () => {
    const { store, test, app } = await setup();
    const { c } = await invited(store, app, test.id);
    const evil = ['..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '....%2F%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fpackage.json', 'C:%5CWindows%5Cwin.ini'];
    for (const e of evil) {
      for (const url of [`/audio/${e}`, `/i/${e}`, `/open/${e}`, `/admin/tests/${e}`, `/admin/tests/${e}/export.csv`, `/static/${e}`, `/${e}`]) {
        const res = await c.request({ url });
        expect([400, 404], url).toContain(res.statusCode);
        noLeak(res.body);
      }
    }
    for (const url of ['/audio/../../etc/passwd', '/static/../package.json', '/audio//etc/passwd']) {
      const res = await c.request({ url });
      expect([400, 404], url).toContain(res.statusCode);
      noLeak(res.body);
    }
    const page = parseTrial((await c.request({ url: '/session' })).body);
    for (const clip of ['../../etc/passwd', '/etc/passwd', `${page.rated[0].slice(0, 10)}/../x`]) {
      const res = await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'start' }, headers: { 'x-csrf-token': page.csrf } });
      expect(res.statusCode).toBe(400);
    }
    const res = await c.request({ url: '/rate', form: { csrf: page.csrf, assignment: page.assignment, 's_../../etc/passwd': 3 } });
    expect(res.statusCode).toBe(400);
    const q = await c.request({ url: `/audio/${page.rated[0]}?path=/etc/passwd` });
    expect(q.statusCode).toBe(400);
  });

  it("other raters' tokens, assignments and clips", async () => {
    const { store, test, app, clock } = await setup();
    const { c: alice } = await invited(store, app, test.id);
    const { c: bob, rater: bobRow } = await invited(store, app, test.id);
    const a = parseTrial((await alice.request({ url: '/session' })).body);
    const b = parseTrial((await bob.request({ url: '/session' })).body);
    // Bob plays and rates Alice's page with his own CSRF token: not his page.
    const play = await bob.request({ url: '/api/play', json: { assignment: a.assignment, clip: a.rated[0], event: 'start' }, headers: { 'x-csrf-token': b.csrf } });
    expect(play.statusCode).toBe(404);
    const rate = await bob.request({ url: '/rate', form: { csrf: b.csrf, assignment: a.assignment, [`s_${a.rated[0]}`]: 1 } });
    expect(rate.statusCode).toBe(404);
    // Bob with Alice's CSRF token on his own page: forged.
    const forged = await bob.request({ url: '/api/play', json: { assignment: b.assignment, clip: b.rated[0], event: 'start' }, headers: { 'x-csrf-token': a.csrf } });
    expect(forged.statusCode).toBe(403);
    // A clip that is in none of Bob's assignments is not served to him.
    const bobs = new Set(store.assignmentsOf(bobRow).flatMap((x) => x.clips.map((k) => k.publicId)));
    const foreign = store.clipsOfSet(test.setId).find((k) => !bobs.has(k.publicId) && k.kind === 'system');
    if (foreign) expect((await bob.request({ url: `/audio/${foreign.publicId}` })).statusCode).toBe(404);
    expect((await bob.request({ url: `/audio/${b.rated[0]}` })).headers['content-type']).toBe('audio/wav');
    // A made-up token is no session.
    const nobody = new Client(app);
    nobody.cookies.set('mos_rater', 'A'.repeat(32));
    expect((await nobody.request({ url: '/session' })).statusCode).toBe(403);
    expect((await nobody.request({ url: `/audio/${b.rated[0]}` })).statusCode).toBe(403);
    expect((await new Client(app).request({ url: `/i/${'B'.repeat(32)}` })).statusCode).toBe(404);
    clock.ms += 1;
    expect(store.countRatings()).toBe(0);
  });

  it('forged CSRF on every form post', async () => {
    const { store, test, app, clock } = await setup();
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    await listen(c, clock, page);
    const forged = 'x'.repeat(32);
    const form = { csrf: forged, assignment: page.assignment, [`s_${page.rated[0]}`]: 3 };
    expect((await c.request({ url: '/rate', form })).statusCode).toBe(403);
    expect((await c.request({ url: '/more', form: { csrf: forged } })).statusCode).toBe(403);
    expect((await c.request({ url: '/rate', form: { assignment: page.assignment, [`s_${page.rated[0]}`]: 3 } })).statusCode).toBe(400);
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip: page.rated[0], event: 'start' } })).statusCode).toBe(400);
    const admin = new Client(app);
    await admin.request({ url: '/admin/login', form: { secret: ADMIN_SECRET } });
    expect((await admin.request({ url: `/admin/tests/${test.id}/invites`, form: { csrf: forged, count: 2 } })).statusCode).toBe(403);
    const adminPage = (await admin.request({ url: `/admin/tests/${test.id}` })).body;
    const adminCsrf = /name="csrf" value="([^"]+)"/.exec(adminPage)?.[1] ?? '';
    const ok = await admin.request({ url: `/admin/tests/${test.id}/invites`, form: { csrf: adminCsrf, count: 2 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body.match(/http:\/\/127\.0\.0\.1:8895\/i\/[A-Za-z0-9_-]{32}/g)).toHaveLength(2);
    expect((await admin.request({ url: '/admin/logout', form: { csrf: forged } })).statusCode).toBe(403);
    expect((await admin.request({ url: `/admin/tests/${test.id}` })).statusCode).toBe(200); // still logged in
    expect((await admin.request({ url: '/admin/logout', form: { csrf: adminCsrf } })).statusCode).toBe(303);
    expect((await admin.request({ url: `/admin/tests/${test.id}` })).statusCode).toBe(403);
    expect(store.countRatings()).toBe(0);
  });

  it('oversized and malformed bodies', async () => {
    const { store, test, app } = await setup();
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    const h = { 'x-csrf-token': page.csrf };
    const big = await c.request({ url: '/rate', form: { csrf: page.csrf, assignment: page.assignment, pad: 'x'.repeat(20_000) } });
    expect(big.statusCode).toBe(413);
    const bigJson = await c.request({ url: '/api/play', body: JSON.stringify({ x: 'y'.repeat(20_000) }), headers: { ...h, 'content-type': 'application/json' } });
    expect(bigJson.statusCode).toBe(413);
    const bad = await c.request({ url: '/api/play', body: '{"assignment": 1, "clip": ', headers: { ...h, 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    noLeakJson(bad.body);
    const xml = await c.request({ url: '/api/play', body: '<a/>', headers: { ...h, 'content-type': 'application/xml' } });
    expect(xml.statusCode).toBe(415);
    const extra = await c.request({ url: '/api/play', json: { assignment: page.assignment, clip: page.rated[0], event: 'start', admin: true }, headers: h });
    expect(extra.statusCode).toBe(400);
    const wrongType = await c.request({ url: '/api/play', json: { assignment: 'one', clip: page.rated[0], event: 'start' }, headers: h });
    expect(wrongType.statusCode).toBe(400);
    const badEvent = await c.request({ url: '/api/play', json: { assignment: page.assignment, clip: page.rated[0], event: 'skip' }, headers: h });
    expect(badEvent.statusCode).toBe(400);
    const array = await c.request({ url: '/api/play', json: [1, 2], headers: h });
    expect(array.statusCode).toBe(400);
    function noLeakJson(body: string) {
      expect(JSON.parse(body)).toEqual({ error: expect.any(String) });
      expect(body).not.toMatch(/\n\s+at |\.ts:\d+/);
    }
  });

  it('ratings out of range', async () => {
    const { store, test, app, clock } = await setup('acr');
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    await listen(c, clock, page);
    for (const v of ['0', '6', '-1', '4.5', 'abc', '1e3', '', '101']) {
      const res = await c.request({ url: '/rate', form: { csrf: page.csrf, assignment: page.assignment, [`s_${page.rated[0]}`]: v } });
      expect(res.statusCode, v).toBe(400);
    }
    expect(store.countRatings()).toBe(0);
    expect((await c.request({ url: '/rate', form: { csrf: page.csrf, assignment: page.assignment, [`s_${page.rated[0]}`]: 5 } })).statusCode).toBe(303);
    // A second submission of the same page is refused, the first answer kept.
    expect((await c.request({ url: '/rate', form: { csrf: page.csrf, assignment: page.assignment, [`s_${page.rated[0]}`]: 1 } })).statusCode).toBe(409);
    expect(store.ratingsOf(test.id).map((r) => r.score)).toEqual([5]);
  });

  it('strict types: true, null and numeric strings get 400 and store nothing, on every route', async () => {
    const { store, test, app, clock } = await setup('mushra');
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    const plays = () => (store.db.prepare('SELECT COUNT(*) AS n FROM plays').get() as { n: number }).n;
    const h = { 'x-csrf-token': page.csrf };
    // /api/play is JSON: ids must be JSON integers.
    for (const assignment of [true, null, String(page.assignment), `0x${page.assignment.toString(16)}`, ` ${page.assignment} `, 1.5, [page.assignment]]) {
      const res = await c.request({ url: '/api/play', json: { assignment, clip: page.rated[0], event: 'start' }, headers: h });
      expect(res.statusCode, JSON.stringify(assignment)).toBe(400);
    }
    expect(plays()).toBe(0);
    await listen(c, clock, page);
    const good = (v: unknown) => {
      const form: Record<string, unknown> = { csrf: page.csrf, assignment: String(page.assignment) };
      for (const clip of page.rated) form[`s_${clip}`] = '50';
      form[`s_${page.rated[0]}`] = v;
      return form;
    };
    // JSON bodies: booleans, null, numbers, numeric strings that are not plain decimals.
    const bad: unknown[] = [true, false, null, 50, '0x10', ' 50 ', '1e2', '+50', '050', '50.0', '', '５０', ['50'], { v: 50 }];
    for (const v of bad) expect((await c.request({ url: '/rate', json: good(v) })).statusCode, JSON.stringify(v)).toBe(400);
    // The same strings as a real form post.
    for (const v of ['0x10', ' 50 ', '1e2', '+50', '050', '50.0', '', 'true', 'null']) {
      const form = good(v) as Record<string, string>;
      expect((await c.request({ url: '/rate', form })).statusCode, v).toBe(400);
    }
    for (const assignment of [true, null, page.assignment, `0x${page.assignment.toString(16)}`, ` ${page.assignment}`, `${page.assignment}e0`]) {
      const json = { ...good('50'), assignment };
      expect((await c.request({ url: '/rate', json })).statusCode, JSON.stringify(assignment)).toBe(400);
    }
    expect(store.countRatings()).toBe(0);
    // Admin: the invitation count and the test id in the URL.
    const admin = new Client(app);
    await admin.request({ url: '/admin/login', form: { secret: ADMIN_SECRET } });
    const adminCsrf = /name="csrf" value="([^"]+)"/.exec((await admin.request({ url: `/admin/tests/${test.id}` })).body)?.[1] ?? '';
    const raters = store.countRaters(test.id);
    for (const count of ['0x10', ' 5 ', '1e2', '+5', '05', '501', '0', '']) {
      expect((await admin.request({ url: `/admin/tests/${test.id}/invites`, form: { csrf: adminCsrf, count } })).statusCode, count).toBe(400);
    }
    for (const count of [true, null, 5]) {
      expect((await admin.request({ url: `/admin/tests/${test.id}/invites`, json: { csrf: adminCsrf, count } })).statusCode, String(count)).toBe(400);
    }
    expect((await admin.request({ url: '/admin/login', json: { secret: true } })).statusCode).toBe(400);
    for (const id of ['0x1', '1e0', '01', '+1']) expect((await admin.request({ url: `/admin/tests/${id}` })).statusCode, id).toBe(400);
    expect((await admin.request({ url: '/admin/tests/9999999999' })).statusCode).toBe(404);
    expect(store.countRaters(test.id)).toBe(raters);
    // A plain decimal form still works.
    expect((await c.request({ url: '/rate', form: good('50') as Record<string, string> })).statusCode).toBe(303);
    expect(store.ratingsOf(test.id).map((r) => r.score)).toEqual(page.rated.map(() => 50));
  });

  it('one unfinished batch per rater, also under concurrent POST /more; no trap-only batches', async () => {
    const { store, test, app, clock } = await setup('acr');
    const { c, rater } = await invited(store, app, test.id);
    let page = parseTrial((await c.request({ url: '/session' })).body);
    const pages = () => store.assignmentsOf(rater).length;
    expect(pages()).toBe(4);
    const more = () => c.request({ url: '/more', form: { csrf: page.csrf } });
    const codes = await Promise.all([more(), more(), more()]);
    expect(codes.map((r) => r.statusCode)).toEqual([303, 303, 303]);
    expect(pages()).toBe(4); // the open batch is not extended
    // Rate the whole batch, then three concurrent requests add exactly one batch.
    for (;;) {
      const html = (await c.request({ url: '/session' })).body;
      if (html.includes('Thank you')) break;
      page = parseTrial(html);
      await listen(c, clock, page);
      const form: Record<string, string | number> = { csrf: page.csrf, assignment: page.assignment };
      for (const clip of page.rated) form[`s_${clip}`] = 3;
      expect((await c.request({ url: '/rate', form })).statusCode).toBe(303);
    }
    await Promise.all([more(), more(), more()]);
    // 3 items x 2 systems = 6 system pages: 3 in the first batch, the other 3 (+ a trap) now.
    expect(pages()).toBe(8);
    expect(store.assignmentsOf(rater).filter((a) => !a.isTrap)).toHaveLength(6);
    for (;;) {
      const html = (await c.request({ url: '/session' })).body;
      if (html.includes('Thank you')) {
        // Only traps are left unseen: no "rate more" button, and /more hands out nothing.
        expect(html).not.toContain('Rate more samples');
        break;
      }
      page = parseTrial(html);
      await listen(c, clock, page);
      const form: Record<string, string | number> = { csrf: page.csrf, assignment: page.assignment };
      for (const clip of page.rated) form[`s_${clip}`] = 3;
      expect((await c.request({ url: '/rate', form })).statusCode).toBe(303);
    }
    await more();
    expect(pages()).toBe(8);
  });

  it('rating before playback ended', async () => {
    const { store, test, app, clock } = await setup('acr', { minListenRatio: 0.9 });
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    const clip = page.rated[0];
    const h = { 'x-csrf-token': page.csrf };
    const form = { csrf: page.csrf, assignment: page.assignment, [`s_${clip}`]: 3 };
    expect((await c.request({ url: '/rate', form })).statusCode).toBe(409); // never played
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'ended', ranges: [[0, 1]] }, headers: h })).statusCode).toBe(409);
    await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'start' }, headers: h });
    expect((await c.request({ url: '/rate', form })).statusCode).toBe(409); // started, not ended
    clock.ms += 500; // a 1 s clip cannot have ended after 0.5 s
    const early = await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'ended', ranges: [[0, 1]] }, headers: h });
    expect(early.statusCode).toBe(409);
    expect(early.body).toMatch(/listen to the whole clip/);
    expect((await c.request({ url: '/rate', form })).statusCode).toBe(409);
    clock.ms += 450;
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'ended', ranges: [[0, 1]] }, headers: h })).statusCode).toBe(204);
    expect((await c.request({ url: '/rate', form })).statusCode).toBe(303);
  });

  it('listening evidence: played ranges must cover the clip, and the server clock must agree', async () => {
    const { store, test, app, clock } = await setup('acr', { minListenRatio: 0.9 });
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    const clip = page.rated[0];
    const h = { 'x-csrf-token': page.csrf };
    const ended = (ranges: unknown) => c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'ended', ranges }, headers: h });
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'start' }, headers: h })).statusCode).toBe(204);
    clock.ms += 5000; // plenty of time passed...
    // ...but the page says: played 0.2 s, then the last 50 ms (the skip that used to pass).
    const skipped = await ended([[0, 0.2], [0.95, 1]]);
    expect(skipped.statusCode).toBe(409);
    expect(skipped.body).toMatch(/skipped/);
    expect((await ended([])).statusCode).toBe(409);
    expect((await ended([[0, 0.5], [0.1, 0.6], [0.55, 0.85]])).statusCode).toBe(409); // overlaps count once: 0.85 s
    // Malformed ranges: missing, reversed, longer than the clip, not numbers.
    expect((await c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event: 'ended' }, headers: h })).statusCode).toBe(400);
    for (const bad of [[[0.9, 0.1]], [[0, 30]], [[0, '1']], [[0, true]], [[0]], [[-1, 1]], [[0, 1, 2]]])
      expect((await ended(bad)).statusCode, JSON.stringify(bad)).toBe(400);
    expect(store.heardClips(page.assignment).size).toBe(0);
    // Played through in pieces (a replay of the skipped part): accepted.
    expect((await ended([[0, 0.5], [0.45, 1.0]])).statusCode).toBe(204);
    expect(store.heardClips(page.assignment).size).toBe(1);
  });

  it('listening evidence: full ranges sent too soon after the first start are refused; a later retry counts', async () => {
    const { store, test, app, clock } = await setup('acr', { minListenRatio: 0.9 });
    const { c } = await invited(store, app, test.id);
    const page = parseTrial((await c.request({ url: '/session' })).body);
    const clip = page.rated[0];
    const h = { 'x-csrf-token': page.csrf };
    const play = (event: string) =>
      c.request({ url: '/api/play', json: { assignment: page.assignment, clip, event, ...(event === 'ended' ? { ranges: [[0, 1]] } : {}) }, headers: h });
    await play('start');
    clock.ms += 300;
    expect((await play('ended')).statusCode).toBe(409);
    await play('start'); // a replay does not restart the clock...
    clock.ms += 600;
    expect((await play('ended')).statusCode).toBe(204); // ...900 ms since the first start
  });

  it('rate limiting per client address, whatever cookie the client sends', async () => {
    const { store, test, app } = await setup('acr', { rateLimitPerMinute: 5 });
    const { c } = await invited(store, app, test.id); // 1 request
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await c.request({ url: '/session' })).statusCode);
    // A fresh random rater cookie on every request does not open a new budget.
    for (let i = 0; i < 3; i++) {
      const forged = new Client(app);
      forged.cookies.set('mos_rater', randomToken());
      codes.push((await forged.request({ url: '/session' })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 200, 429, 429, 429]);
    // Another address has its own budget.
    expect((await c.request({ url: '/session', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
  });

  it('20 wrong admin logins with 20 random cookies: 429 after the per-address limit of 10', async () => {
    const { app } = await setup();
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const c = new Client(app);
      c.cookies.set('mos_rater', randomToken());
      c.cookies.set('mos_admin', randomToken());
      codes.push((await c.request({ url: '/admin/login', form: { secret: `wrong-${i}` } })).statusCode);
    }
    expect(codes).toEqual([...Array(10).fill(403), ...Array(10).fill(429)]);
    // The right secret from this address also waits; from another address it works.
    expect((await new Client(app).request({ url: '/admin/login', form: { secret: ADMIN_SECRET } })).statusCode).toBe(429);
    expect((await new Client(app).request({ url: '/admin/login', form: { secret: ADMIN_SECRET }, remoteAddress: '10.0.0.9' })).statusCode).toBe(303);
  });

  it('wrong admin secrets from many addresses spend one global budget (form and bearer)', async () => {
    const { app, clock } = await setup();
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const remoteAddress = `10.0.${i >> 8}.${i & 255}`;
      const c = new Client(app);
      codes.push(
        i % 2
          ? (await c.request({ url: '/admin/login', form: { secret: `wrong-${i}` }, remoteAddress })).statusCode
          : (await c.request({ url: '/admin/tests/1/export.csv', headers: { authorization: `Bearer wrong-${i}` }, remoteAddress })).statusCode,
      );
    }
    expect(codes.slice(0, ADMIN_FAILURE_BUDGET.max).every((s) => s === 403)).toBe(true);
    expect(codes.slice(ADMIN_FAILURE_BUDGET.max).every((s) => s === 429)).toBe(true);
    const right = await new Client(app).request({ url: '/admin/login', form: { secret: ADMIN_SECRET }, remoteAddress: '10.9.9.9' });
    expect(right.statusCode).toBe(429);
    expect(right.body).toMatch(/too many wrong admin secrets/);
    clock.ms += ADMIN_FAILURE_BUDGET.windowMs;
    expect((await new Client(app).request({ url: '/admin/login', form: { secret: ADMIN_SECRET }, remoteAddress: '10.9.9.9' })).statusCode).toBe(303);
  });

  it('open links: 30 new raters per minute per address, however many cookies', async () => {
    const { store, test, app } = await setup('ovl');
    const codes: number[] = [];
    for (let i = 0; i < 35; i++) {
      const c = new Client(app);
      c.cookies.set('mos_rater', randomToken());
      codes.push((await c.request({ url: `/open/${test.openCode}` })).statusCode);
    }
    expect(codes).toEqual([...Array(30).fill(303), ...Array(5).fill(429)]);
    expect(store.countRaters(test.id)).toBe(30);
  });

  it('--trust-proxy: X-Forwarded-For counts only from a trusted proxy', async () => {
    for (const [trustProxy, separate] of [[undefined, false], ['127.0.0.1', true]] as const) {
      const { app } = await setup('acr', { rateLimitPerMinute: 3, trustProxy });
      const codes: number[] = [];
      for (let i = 0; i < 6; i++)
        codes.push((await new Client(app).request({ url: '/', headers: { 'x-forwarded-for': `192.0.2.${i}` } })).statusCode);
      expect(codes.every((s) => s === 200), String(trustProxy)).toBe(separate);
    }
  });
});
