import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const PLAYBACK_RATE = 8;


/**
 * Plays every rated clip on the page at a fast rate and waits until the server accepted each as
 * heard. A clip the server refused (e.g. a busy CI machine delayed the start event) is played
 * again, at most three times in all.
 */
async function playAll(page: Page): Promise<void> {
  const rated = await page.locator('audio[data-rated="1"]').count();
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(`for (const a of document.querySelectorAll('audio')) {
      a.playbackRate = ${PLAYBACK_RATE};
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
  const shots = join(tempDir('mos-shots-'));

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
    store.close();
    // The clip must take at least 1/20 of its duration: 1/8 at 8x playback passes with margin, a skip does not.
    server = await startMosServer({ db, port: 0, host: '127.0.0.1', minListenRatio: 0.05, env: { MUSICGEN_MOS_ADMIN_SECRET: SECRET }, log: () => undefined });
    inviteUrl = `${server.url}/i/${rater.token}`;
    mushraUrl = `${server.url}/i/${mushraRater.token}`;
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
      expect(await submit.isDisabled()).toBe(false);
      await page.locator('input[type=radio][value="4"]').first().check();
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
    for (let i = 0; i < 4; i++) await sliders.nth(i).fill(String(10 + 25 * i));
    expect(await page.locator('output').first().textContent()).toBe('10');
    await Promise.all([page.waitForURL(/\/session$/), page.locator('button[type=submit]').click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Thank you!');
    const ratings = server.store.ratingsOf(mushraId);
    expect(ratings.map((r) => r.kind).sort()).toEqual(['anchor35', 'anchor70', 'hidden_reference', 'system']);
    expect(ratings.map((r) => r.score).sort((a, b) => a - b)).toEqual([10, 35, 60, 85]);
  });
});
