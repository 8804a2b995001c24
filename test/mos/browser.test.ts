import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importManifest } from '../../src/mos/importSet.js';
import { startMosServer, type RunningMosServer } from '../../src/mos/serve.js';
import { MosStore } from '../../src/mos/store.js';
import { CHROMIUM, CHROMIUM_ARGS, pixelStats } from '../helpers/browser.js';
import { haveTool } from '../helpers/tools.js';
import { writeTone } from './audioFixture.js';
import { tempDir } from './storeFixture.js';

const SECRET = 'browser-test-admin-secret-42';
/** Screenshots are kept here for a person to look at (the phone layout especially). */
const SHOTS = join(tmpdir(), 'mos-shots');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Plays every rated clip on the page (1 s clips, in real time: the server wants 90 % of each
 * clip's time on its own clock) and waits until the server accepted each as heard. A clip the
 * server refused (e.g. a busy CI machine delayed the start event) is played again, at most three
 * times in all.
 */
async function playAll(page: Page): Promise<void> {
  const rated = await page.locator('audio[data-rated="1"]').count();
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(`for (const a of document.querySelectorAll('audio')) {
      if (a.dataset.rated === '1' && !a.closest('.clip').classList.contains('done')) a.play();
    }`);
    try {
      // (polled from Node: the page's CSP rightly forbids waitForFunction's string evaluation)
      await expect.poll(() => page.locator('.clip.done').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(rated);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

describe.skipIf(!haveTool(CHROMIUM, 'MOS pages are checked in a real browser'))('MOS server in a real browser', () => {
  let server: RunningMosServer;
  let ctx: BrowserContext;
  let userDataDir: string;
  let inviteUrl: string;
  let mushraUrl: string;
  let testId: number;
  let mushraId: number;
  let skipUrl: string;
  let phoneUrl: string;
  const shots = SHOTS;
  mkdirSync(shots, { recursive: true });

  beforeAll(async () => {
    const dir = tempDir();
    const items = [];
    for (let i = 0; i < 3; i++)
      for (const system of ['A', 'B']) {
        writeTone(join(dir, system, `p${i}.wav`), { sampleRate: 32000, seconds: 1, freqs: [300 + 100 * i], amp: system === 'A' ? 0.1 : 0.2 });
        items.push({ id: `p${i}`, system, prompt: `prompt ${i}`, audio: `${system}/p${i}.wav` });
      }
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'browser', items }));
    // A MUSHRA set: the same audio with system B as the reference.
    writeFileSync(join(dir, 'mushra.json'), JSON.stringify({ name: 'browser-m', reference: 'B', items }));
    const db = join(dir, 'mos.db');
    const store = MosStore.open(db);
    await importManifest(store, join(dir, 'm.json'), { cacheDir: join(dir, 'cache'), seed: 2 });
    await importManifest(store, join(dir, 'mushra.json'), { cacheDir: join(dir, 'cache'), seed: 2 });
    const test = store.createTest({ setName: 'browser', name: 'browser-acr', scale: 'acr', trialsPerRater: 3, trapsPerRater: 1 });
    testId = test.id;
    const rater = store.createRater(test.id, 'browser');
    const mushra = store.createTest({ setName: 'browser-m', name: 'browser-mushra', scale: 'mushra', trialsPerRater: 1 });
    mushraId = mushra.id;
    const mushraRater = store.createRater(mushra.id, 'browser');
    const skipper = store.createRater(test.id, 'skipper');
    const ovl = store.createTest({ setName: 'browser', name: 'browser-ovl', scale: 'ovl', trialsPerRater: 2, trapsPerRater: 0 });
    const phone = store.createRater(ovl.id, 'phone');
    store.close();
    // The default --min-listen-ratio (0.9): played ranges must cover 90 % of a clip, and 90 % of
    // its length must pass on the server's clock.
    server = await startMosServer({ db, port: 0, host: '127.0.0.1', env: { MUSICGEN_MOS_ADMIN_SECRET: SECRET }, log: () => undefined });
    inviteUrl = `${server.url}/i/${rater.token}`;
    mushraUrl = `${server.url}/i/${mushraRater.token}`;
    skipUrl = `${server.url}/i/${skipper.token}`;
    phoneUrl = `${server.url}/i/${phone.token}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'mos-chromium-'));
    ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        '--autoplay-policy=no-user-gesture-required',
      ],
      viewport: { width: 900, height: 900 },
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('a rater plays each clip to the end, rates, resumes after a reload; the admin page shows the ratings', async () => {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(inviteUrl);
    expect(new URL(page.url()).pathname).toBe('/session'); // token gone from the address bar
    const submit = page.locator('button[type=submit]');
    for (let k = 1; k <= 4; k++) {
      await expect.poll(() => page.locator('.progress').textContent()).toBe(`Page ${k} of 4`);
      expect(await submit.isDisabled()).toBe(true);
      await playAll(page);
      if (k === 2) {
        // Close-and-come-back: the same page, clip still counted as heard, submit enabled.
        const assignment = await page.locator('input[name=assignment]').inputValue();
        await page.reload();
        expect(await page.locator('input[name=assignment]').inputValue()).toBe(assignment);
        expect(await page.locator('.clip.done').count()).toBe(1);
      }
      if (k === 1) {
        const png = await page.screenshot({ path: join(shots, 'trial.png'), fullPage: true });
        const s = await pixelStats(ctx, png);
        expect(s.variance).toBeGreaterThan(50);
        expect(s.nonBackground).toBeGreaterThan(0.05);
      }
      expect(await submit.isDisabled()).toBe(true); // heard, not yet rated
      await page.locator('input[type=radio][value="4"]').first().check();
      expect(await submit.isDisabled()).toBe(false);
      await Promise.all([page.waitForURL(/\/session$/), submit.click()]);
    }
    await expect.poll(() => page.locator('h1').textContent()).toBe('Thank you!');
    expect(errors).toEqual([]);
    expect(server.store.countRatings(testId)).toBe(4);

    await page.goto(`${server.url}/admin`);
    await page.locator('input[name=secret]').fill(SECRET);
    await Promise.all([page.waitForURL(/\/admin$/), page.locator('button[type=submit]').click()]);
    await page.locator(`a[href="/admin/tests/${testId}"]`).click();
    await page.waitForURL(new RegExp(`/admin/tests/${testId}$`));
    expect(await page.locator('#rating-count').textContent()).toMatch(/^4 ratings from 1 raters/);
    const png = await page.screenshot({ path: join(shots, 'admin.png'), fullPage: true });
    const s = await pixelStats(ctx, png);
    expect(s.variance).toBeGreaterThan(50);
    expect(s.nonBackground).toBeGreaterThan(0.05);
  });

  it('MUSHRA page: sliders for every stimulus, reference not rated', async () => {
    const page = await ctx.newPage();
    await page.goto(mushraUrl);
    expect(await page.locator('audio').count()).toBe(5); // reference + A + hidden reference + 2 anchors
    expect(await page.locator('input[type=range]').count()).toBe(4);
    await playAll(page);
    const sliders = page.locator('input[type=range]');
    const submit = page.locator('button[type=submit]');
    for (let i = 0; i < 4; i++) {
      expect(await submit.isDisabled(), `slider ${i}`).toBe(true); // every slider must be moved
      await sliders.nth(i).fill(String(10 + 25 * i));
    }
    expect(await submit.isDisabled()).toBe(false);
    expect(await page.locator('output').first().textContent()).toBe('10');
    await Promise.all([page.waitForURL(/\/session$/), page.locator('button[type=submit]').click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Thank you!');
    const ratings = server.store.ratingsOf(mushraId);
    expect(ratings.map((r) => r.kind).sort()).toEqual(['anchor35', 'anchor70', 'hidden_reference', 'system']);
    expect(ratings.map((r) => r.score).sort((a, b) => a - b)).toEqual([10, 35, 60, 85]);
  });

  it('play briefly, pause, seek to the end: Submit stays disabled and nothing is stored; play through: enabled', async () => {
    const page = await ctx.newPage();
    await page.goto(skipUrl);
    const submit = page.locator('button[type=submit]');
    await page.locator('input[type=radio][value="3"]').first().check(); // answered first: only listening is missing
    const audio = 'document.querySelector(\'audio[data-rated="1"]\')';
    await page.evaluate(`${audio}.play()`);
    await sleep(250);
    await page.evaluate(`(() => { const a = ${audio}; a.pause(); a.currentTime = a.duration - 0.05; return a.play(); })()`);
    await expect.poll(() => page.evaluate(`${audio}.ended`)).toBe(true);
    await sleep(500); // time for any report to come back
    expect(await submit.isDisabled()).toBe(true);
    expect(await page.locator('.clip .msg').first().textContent()).toMatch(/skipped/);
    const assignment = Number(await page.locator('input[name=assignment]').inputValue());
    expect(server.store.heardClips(assignment).size).toBe(0);
    // A forged submit is refused by the server as well.
    await page.evaluate(`document.querySelector('button[type=submit]').disabled = false`);
    await Promise.all([page.waitForLoadState(), submit.click()]);
    expect(await page.locator('.error').textContent()).toMatch(/played to the end/);
    expect(server.store.countRatings(testId)).toBe(4); // only the first rater's
    await page.goBack();
    await page.reload();
    await page.locator('input[type=radio][value="3"]').first().check();
    // Play it through: the clip counts, the warning goes, Submit is enabled.
    await page.evaluate(`${audio}.play()`);
    await expect.poll(() => page.locator('.clip.done').count(), { timeout: 10_000 }).toBe(1);
    expect(await submit.isDisabled()).toBe(false);
    expect(await page.locator('.clip .msg').first().textContent()).toBe('');
    expect(server.store.heardClips(assignment).size).toBe(1);
  });

  it('phone layout at 390 px: labelled ACR radios and slider ends, 44 px targets, favicon', async () => {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(phoneUrl);
    // OVL: a slider with both ends labelled, not submittable before it is moved.
    expect(await page.locator('.slider .ends').textContent()).toMatch(/1 Bad.*100 Excellent/s);
    await playAll(page);
    expect(await page.locator('button[type=submit]').isDisabled()).toBe(true);
    const slider = await page.locator('input[type=range]').boundingBox();
    expect(slider?.height).toBeGreaterThanOrEqual(44);
    expect(slider?.width).toBeGreaterThan(300);
    await page.screenshot({ path: join(shots, 'phone-ovl.png'), fullPage: true });
    await page.locator('input[type=range]').fill('70');
    expect(await page.locator('button[type=submit]').isDisabled()).toBe(false);

    // ACR at 390 px: each radio sits inside its label's row, every row is a >= 44 px target.
    await page.goto(skipUrl);
    const rows = page.locator('.acr label');
    expect(await rows.count()).toBe(5);
    for (let i = 0; i < 5; i++) {
      const row = await rows.nth(i).boundingBox();
      const radio = await rows.nth(i).locator('input').boundingBox();
      const text = await rows.nth(i).locator('span').boundingBox();
      if (!row || !radio || !text) throw new Error('ACR row not laid out');
      expect(row.height).toBeGreaterThanOrEqual(44);
      expect(radio.width).toBeGreaterThanOrEqual(20);
      expect(Math.abs(radio.y + radio.height / 2 - (text.y + text.height / 2))).toBeLessThan(6); // same line
      expect(row.x + row.width).toBeLessThanOrEqual(390);
    }
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390); // no sideways scrolling
    await rows.nth(3).click({ position: { x: 200, y: 20 } }); // tapping the text selects the radio
    expect(await page.locator('input[type=radio][value="4"]').isChecked()).toBe(true);
    const png = await page.screenshot({ path: join(shots, 'phone-acr.png'), fullPage: true });
    const s = await pixelStats(ctx, png);
    expect(s.width).toBe(390);
    expect(s.nonBackground).toBeGreaterThan(0.05);
    const icon = await page.request.get(`${server.url}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toMatch(/image\/svg\+xml/);
  });

  it('admin error pages link back to the admin page', async () => {
    const page = await ctx.newPage();
    await page.goto(`${server.url}/admin/tests/999999`);
    expect(await page.locator('a', { hasText: 'Back' }).getAttribute('href')).toBe('/admin');
  });
});
