import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importManifest } from '../../src/mos/importSet.js';
import { startMosServer, type RunningMosServer } from '../../src/mos/serve.js';
import { MosStore } from '../../src/mos/store.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';
import { haveTool } from '../helpers/tools.js';
import { writeTone } from './audioFixture.js';
import { tempDir } from './storeFixture.js';

/**
 * A "webmail" on another site: the MOS server is http://127.0.0.1:P, this page is
 * http://localhost:Q (a different host, so a different site for SameSite cookies). Raters reach
 * tests by clicking links in mail or chat, never by typing them.
 */
function mailServer(html: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://localhost:${(server.address() as AddressInfo).port}/` })),
  );
}

describe.skipIf(!haveTool(CHROMIUM, 'invitation links are checked in a real browser'))('MOS links clicked on another site', () => {
  let server: RunningMosServer;
  let mail: { server: Server; url: string };
  const contexts: BrowserContext[] = [];
  const dirs: string[] = [];
  let testId: number;
  let openId: number;
  let raterId: number;

  async function browser(): Promise<BrowserContext> {
    const dir = mkdtempSync(join(tmpdir(), 'mos-links-chromium-'));
    dirs.push(dir);
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    contexts.push(ctx);
    return ctx;
  }

  /** Opens the mail page and clicks the link with this id; returns the page the click showed. */
  async function click(ctx: BrowserContext, id: string): Promise<Page> {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(mail.url);
    expect(new URL(page.url()).hostname).toBe('localhost');
    const link = page.locator(`#${id}`);
    if ((await link.getAttribute('target')) === '_blank') {
      const [popup] = await Promise.all([ctx.waitForEvent('page'), link.click()]);
      await popup.waitForLoadState();
      return popup;
    }
    await Promise.all([page.waitForURL(/127\.0\.0\.1:\d+\/session$/), link.click()]);
    return page;
  }

  beforeAll(async () => {
    const dir = tempDir();
    const items = [];
    for (let i = 0; i < 3; i++)
      for (const system of ['A', 'B']) {
        writeTone(join(dir, system, `p${i}.wav`), { sampleRate: 32000, seconds: 1, freqs: [300 + 100 * i] });
        items.push({ id: `p${i}`, system, prompt: `prompt ${i}`, audio: `${system}/p${i}.wav` });
      }
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'links', items }));
    const db = join(dir, 'mos.db');
    const store = MosStore.open(db);
    await importManifest(store, join(dir, 'm.json'), { cacheDir: join(dir, 'cache'), seed: 1 });
    const test = store.createTest({ setName: 'links', name: 'invited', scale: 'acr', trialsPerRater: 3, trapsPerRater: 1 });
    const open = store.createTest({ setName: 'links', name: 'open', scale: 'ovl', trialsPerRater: 2, trapsPerRater: 0, openLink: true });
    testId = test.id;
    openId = open.id;
    const rater = store.createRater(test.id, 'mail');
    raterId = rater.id;
    store.close();
    server = await startMosServer({ db, port: 0, host: '127.0.0.1', env: { MUSICGEN_MOS_ADMIN_SECRET: 'links-test-admin-secret-0' }, log: () => undefined });
    mail = await mailServer(`<!doctype html><title>Inbox</title>
<p>Please take part: <a id="invite" href="${server.url}/i/${rater.token}">start the listening test</a></p>
<p>Anyone may join: <a id="open" href="${server.url}/open/${open.openCode}" target="_blank" rel="noopener noreferrer">open test</a></p>`);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    mail?.server.close();
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('an invitation clicked on another site shows the first clip, survives a reload and resumes the same rater', async () => {
    const ctx = await browser();
    const page = await click(ctx, 'invite');
    expect(await page.locator('.progress').textContent()).toBe('Page 1 of 4');
    expect(await page.locator('audio[data-rated="1"]').count()).toBe(1);
    const assignment = await page.locator('input[name=assignment]').inputValue();
    expect(server.store.assignmentsOf(server.store.raterByToken(await raterToken(ctx)) ?? fail()).map((a) => String(a.id))).toContain(assignment);

    await page.reload();
    expect(await page.locator('.progress').textContent()).toBe('Page 1 of 4');
    expect(await page.locator('input[name=assignment]').inputValue()).toBe(assignment);

    const again = await click(ctx, 'invite');
    expect(await again.locator('input[name=assignment]').inputValue()).toBe(assignment);
    expect(server.store.countRaters(testId)).toBe(1);
    expect(server.store.raterByToken(await raterToken(ctx))?.id).toBe(raterId);
  });

  it('an open link clicked twice in one browser makes one rater; another browser makes a second', async () => {
    const ctx = await browser();
    const first = await click(ctx, 'open');
    expect(new URL(first.url()).pathname).toBe('/session');
    expect(await first.locator('input[type=range]').count()).toBe(1);
    const assignment = await first.locator('input[name=assignment]').inputValue();
    const second = await click(ctx, 'open');
    expect(await second.locator('input[name=assignment]').inputValue()).toBe(assignment);
    await second.reload();
    expect(await second.locator('input[name=assignment]').inputValue()).toBe(assignment);
    expect(server.store.countRaters(openId)).toBe(1);

    const other = await browser();
    await click(other, 'open');
    expect(server.store.countRaters(openId)).toBe(2);
  });
});

async function raterToken(ctx: BrowserContext): Promise<string> {
  const c = (await ctx.cookies()).find((k) => k.name === 'mos_rater');
  return c?.value ?? '';
}

function fail(): never {
  throw new Error('the browser holds no rater cookie');
}
