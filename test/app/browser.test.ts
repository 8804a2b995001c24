import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app/serve.js';
import { decodeWav } from '../../src/audio/wavCodec.js';
import { synthesizedPreset } from '../helpers/models.js';
import { CHROMIUM, CHROMIUM_ARGS, pixelStats } from '../helpers/browser.js';
import { haveTool } from '../helpers/tools.js';
import { toneWav } from './fixture.js';

const MAX_UPLOAD = 1024 * 1024;
/** Page changes wait this long at most (two cores are shared with the worker and other tests). */
const POLL = { timeout: 15_000 };
/** A closed tab's job is stopped this long after its event stream closed (a reload reconnects far sooner). */
const ORPHAN_GRACE_MS = 3000;


/** Opt-in: keeps a screenshot for a look (MUSICGEN_APP_SHOTS=/tmp/shots). */
function keepShot(name: string, png: Buffer): void {
  const dir = process.env.MUSICGEN_APP_SHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), png);
}

/** Records every value the progress bar takes (a MutationObserver, installed from the test). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__progress = [];
    const bar = document.getElementById('progress');
    new MutationObserver(() => window.__progress.push([bar.value, bar.max])).observe(bar, { attributes: true });
  })()`);
}

async function fillForm(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(fields)) await page.locator(`#${id}`).fill(v);
}

describe.skipIf(!haveTool(CHROMIUM, 'the generation page is checked in a real browser'))('musicgen app in a real browser (tiny models)', () => {
  let app: RunningApp;
  let ctx: BrowserContext;
  let userDataDir: string;
  let melodyModel: string;
  const errors: string[] = [];
  const serverLog: string[] = [];

  beforeAll(async () => {
    const tiny = synthesizedPreset('tiny');
    const melody = synthesizedPreset('melody-tiny');
    melodyModel = 'melody-tiny-0';
    app = await startApp({
      modelsDir: dirname(melody),
      defaultModelDir: tiny,
      port: 0,
      host: '127.0.0.1',
      threads: 1,
      maxUploadBytes: MAX_UPLOAD,
      queueLimit: 1,
      orphanGraceMs: ORPHAN_GRACE_MS,
      log: (line) => serverLog.push(line),
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'musicgen-app-chromium-'));
    ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      args: [
        ...CHROMIUM_ARGS,
        // A synthetic microphone (a beep) for the recording button, without a permission prompt.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
      ],
      viewport: { width: 1000, height: 1100 },
    });
    await ctx.grantPermissions(['microphone'], { origin: app.url });
    ctx.on('page', (p) => p.on('pageerror', (e) => errors.push(String(e))));
  });

  afterAll(async () => {
    await ctx?.close();
    await app?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  /** A new tab with the form at its defaults (the form is remembered in localStorage across tests). */
  async function open(opts: { viewport?: { width: number; height: number } } = {}): Promise<Page> {
    const page = await ctx.newPage();
    if (opts.viewport) await page.setViewportSize(opts.viewport);
    await page.goto(app.url);
    await page.evaluate(`localStorage.removeItem('musicgen-form')`);
    await page.reload();
    return page;
  }

  /** The bytes of a file the page links to, fetched with the page's session cookie. */
  async function bytesOf(page: Page, url: string): Promise<Buffer> {
    const res = await page.request.get(new URL(url, app.url).toString());
    expect(res.status()).toBe(200);
    return res.body();
  }

  async function takeCount(page: Page): Promise<number> {
    return page.locator('#takeList .take').count();
  }

  it('fill, submit, progress bar moves, player appears; the download decodes at the requested duration; screenshots are not blank', async () => {
    const page = await open();
    const before = await page.screenshot({ fullPage: true });
    await recordProgress(page);
    await fillForm(page, { description: 'lofi drums with warm piano', duration: '1', seed: '5' });
    expect(await page.locator('#durationValue').textContent()).toBe('1 s');
    await page.locator('#submit').click();
    await page.locator('#takeList .take audio').waitFor({ timeout: 60_000 });
    expect(await page.locator('#message').textContent()).toBe('Done: the take is at the top of the list below.');
    const seen = (await page.evaluate('window.__progress')) as [number, number][];
    // The bar moved: at least one value between empty and full, then full.
    expect(seen.some(([v, max]) => v > 0 && v < max)).toBe(true);
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
    expect(await page.locator('#progressText').textContent()).toMatch(/^step 53 \/ 53/);
    expect(await page.locator('.take pre.params').first().textContent()).toContain('"seed": 5');
    expect(await page.locator('.take .take-params').first().textContent()).toContain('seed 5');
    // Waveform and spectrogram loaded.
    for (const cls of ['waveform', 'spectrogram']) {
      await expect.poll(() => page.evaluate(`document.querySelector('img.${cls}').naturalWidth`), POLL).toBeGreaterThan(0);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.download').click()]);
    const file = join(userDataDir, 'download.wav');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('musicgen-default-seed5-0.wav');
    const wav = decodeWav(readFileSync(file), file);
    expect(wav.channels[0].length / wav.sampleRate).toBe(1);
    const after = await page.screenshot({ fullPage: true });
    keepShot('before.png', before);
    keepShot('after.png', after);
    const [a, b] = [await pixelStats(ctx, before), await pixelStats(ctx, after)];
    for (const s of [a, b]) {
      expect(s.variance).toBeGreaterThan(100);
      expect(s.nonBackground).toBeGreaterThan(0.05);
    }
    // The results (pictures) add colour: the second screenshot is busier.
    expect(b.nonBackground).toBeGreaterThan(a.nonBackground);
    await page.close();
  });

  it('Interrupt stops a long run and the page says so; the queue is visible and a full queue says so', async () => {
    const page = await open();
    const takesBefore = await takeCount(page);
    await fillForm(page, { description: 'a long piece', duration: '120' });
    await page.locator('#submit').click();
    await expect.poll(() => page.evaluate(`document.getElementById('progress').value`), { timeout: 30_000 }).toBeGreaterThan(20);
    // A reload picks the running job up again (the tab remembers it).
    const before = (await page.evaluate(`document.getElementById('progress').value`)) as number;
    await page.reload();
    await expect.poll(() => page.evaluate(`document.getElementById('progress').value`), POLL).toBeGreaterThan(before);
    expect(await page.locator('#submit').isDisabled()).toBe(true);
    // Meanwhile a second tab queues behind it and a third finds the queue (1 place) full.
    const second = await open();
    await expect.poll(() => second.locator('#queueInfo').textContent(), POLL).toBe('Queue: 1 generating (at most 1 can wait)');
    await fillForm(second, { duration: '1' });
    await second.locator('#submit').click();
    // The first test measured this model's speed: the wait is an estimate in seconds.
    await expect.poll(() => second.locator('#message').textContent(), POLL).toMatch(/^Waiting in the queue: position 1 of 1 \(at most 1 wait\); about \d+(\.\d)? s to wait\.$/);
    expect(await second.locator('#queueInfo').textContent()).toBe('Queue: 1 generating, 1 waiting (yours is number 1) (at most 1 can wait)');
    const third = await open();
    await fillForm(third, { duration: '1' });
    await third.locator('#submit').click();
    await expect.poll(() => third.locator('#message').textContent(), POLL).toMatch(/^the queue for default: tiny, random weights is full \(1 waiting besides the running one\)/);
    await second.locator('#interrupt').click();
    await expect.poll(() => second.locator('#message').textContent(), POLL).toBe('Interrupted: removed from the queue before it started.');
    await page.bringToFront(); // background tabs are throttled
    const t0 = Date.now();
    await page.locator('#interrupt').click();
    // A locator wait (not expect.poll's backoff) so the measured time is the page's.
    await page.locator('#message', { hasText: 'Interrupted: the generation was stopped.' }).waitFor({ timeout: 10_000 });
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(3000);
    expect(await takeCount(page)).toBe(takesBefore); // an interrupted run is no take
    // No step count or ETA outlives the run.
    expect(await page.locator('#progressText').textContent()).toBe('');
    expect(await page.locator('#status').textContent()).not.toMatch(/ETA|step/);
    expect(await page.locator('#submit').isEnabled()).toBe(true);
    expect(await page.locator('#interrupt').isDisabled()).toBe(true);
    process.stdout.write(`browser interrupt: message shown ${latency} ms after the click\n`);
    for (const p of [page, second, third]) await p.close();
  });

  it('a negative field value shows the library\'s message next to the field', async () => {
    const page = await open();
    // A remembered job that no longer exists (expired, or an earlier server run) is forgotten quietly.
    await page.evaluate(`sessionStorage.setItem('musicgen-job', 'AAAAAAAAAAAAAAAAAAAAAA')`);
    await page.reload();
    await expect.poll(() => page.evaluate(`sessionStorage.getItem('musicgen-job')`), POLL).toBe(null);
    expect(await page.locator('#submit').isEnabled()).toBe(true);
    expect(await page.locator('#message').textContent()).toBe('');
    await fillForm(page, { topK: '-5' });
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('.field-error[data-for=topK]').textContent(), POLL).toMatch(/^Top-k must be an integer >= 0/);
    expect(await page.locator('.field-error[data-for=temperature]').textContent()).toBe('');
    await fillForm(page, { topK: '250', temperature: '-1' });
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('.field-error[data-for=temperature]').textContent(), POLL).toMatch(/^Temperature must be a finite number >= 0/);
    expect(await page.locator('.field-error[data-for=topK]').textContent()).toBe('');
    await page.close();
  });

  it('a melody file drives the melody model: a player for the upload, chromagram and match rate; other models disable Melody and Record', async () => {
    const page = await open();
    // The default (tiny) model cannot use a melody: both controls are off, and the page says why.
    expect(await page.locator('#melodyFile').isDisabled()).toBe(true);
    expect(await page.locator('#melodyRecord').isDisabled()).toBe(true);
    expect(await page.locator('#melodyUnavailable').textContent()).toMatch(/cannot use a melody: pick a model marked \(melody\)$/);
    await page.locator('#model').selectOption(melodyModel);
    expect(await page.locator('#melodyFile').isEnabled()).toBe(true);
    expect(await page.locator('#melodyRecord').isEnabled()).toBe(true);
    expect(await page.locator('#melodyUnavailable').isHidden()).toBe(true);
    await page.locator('#melodyFile').setInputFiles({ name: 'melody.wav', mimeType: 'audio/wav', buffer: Buffer.from(toneWav(2, { sampleRate: 44100, freq: 261.63 })) });
    await expect.poll(() => page.locator('#melodyInfo').textContent(), POLL).toBe('uploaded: 2.0 s, 44100 Hz, 1 channel');
    // The uploaded melody can be listened to: the player has loaded its 2 s.
    expect(await page.locator('#melodyPlayer').isVisible()).toBe(true);
    await expect.poll(() => page.evaluate(`document.getElementById('melodyPlayer').duration`), POLL).toBeCloseTo(2, 1);
    await fillForm(page, { description: 'a C major tune', duration: '1' });
    await page.locator('#submit').click();
    const take = page.locator('#takeList .take').first();
    await take.locator('.melody img.chromagram').waitFor({ timeout: 60_000 });
    expect(await take.locator('p.match').textContent()).toMatch(/^Chroma match rate with the melody: \d+\.\d %$/);
    expect(await take.locator('pre.params').textContent()).toContain('"seconds": 2');
    // The chromagram's axes: the twelve pitch classes and the melody's time.
    expect(await take.locator('.melody .y-ticks span').allTextContents()).toEqual(['B', 'A#', 'A', 'G#', 'G', 'F#', 'F', 'E', 'D#', 'D', 'C#', 'C']);
    expect(await take.locator('.melody .x-axis span').allTextContents()).toEqual(['0', '0.5', '1', '1.5', '2']);
    keepShot('melody.png', await page.screenshot({ fullPage: true }));
    await page.close();
  });

  it('oversized and non-audio uploads are refused with a clear message', async () => {
    const page = await open();
    await page.locator('#continuationFile').setInputFiles({ name: 'notes.wav', mimeType: 'audio/wav', buffer: Buffer.from('these are not audio samples') });
    await expect.poll(() => page.locator('.field-error[data-for=continuation]').textContent(), POLL).toMatch(
      /^this file is not audio the app can read \(WAV, MP3, FLAC or Ogg Vorbis\)/,
    );
    expect(await page.locator('#continuation').inputValue()).toBe('');
    const big = Buffer.from(toneWav(10, { sampleRate: 44100, channels: 2 }));
    await page.locator('#melodyFile').setInputFiles({ name: 'big.wav', mimeType: 'audio/wav', buffer: big });
    await expect.poll(() => page.locator('.field-error[data-for=melody]').textContent(), POLL).toBe('the file is larger than the 1 MB upload limit');
    // The server enforces the same limit when the page's check is bypassed.
    const res = (await page.evaluate(`(async () => {
      const csrf = document.querySelector('meta[name=csrf-token]').content;
      const r = await fetch('/api/upload?kind=melody', { method: 'POST', headers: { 'x-csrf-token': csrf, 'content-type': 'application/octet-stream' }, body: new Uint8Array(${MAX_UPLOAD + 1}) });
      return { status: r.status, body: await r.json() };
    })()`)) as { status: number; body: { error: string; field: string } };
    expect(res).toEqual({ status: 413, body: { error: 'the file is larger than the 1 MB upload limit', field: 'melody' } });
    await page.close();
  });

  it('records a melody from the microphone (fake device) and uploads it as WAV', async () => {
    const page = await open();
    await page.locator('#model').selectOption(melodyModel);
    await page.locator('#melodyRecord').click();
    await expect.poll(async () => `${await page.locator('#melodyRecord').textContent()}${await page.locator('.field-error[data-for=melody]').textContent()}`, POLL).toBe('Stop recording');
    await page.waitForTimeout(1200);
    await page.locator('#melodyRecord').click();
    await expect.poll(() => page.locator('#melodyInfo').textContent(), POLL).toMatch(/^uploaded: [1-9]\d*\.\d s, \d+ Hz/);
    await page.close();
  });
  it('takes stay across a reload and a second Submit; the form comes back; "Use these settings" reproduces a take byte for byte', async () => {
    const page = await open();
    const before = await takeCount(page);
    // The seed is left empty: the server draws one, and the page shows which.
    await fillForm(page, { description: 'take one', duration: '1', topK: '50' });
    await page.locator('#submit').click();
    await expect.poll(() => takeCount(page), { timeout: 60_000 }).toBe(before + 1);
    const first = page.locator('#takeList .take').first();
    const seedText = (await page.locator('#seedHint').textContent()) ?? '';
    const seed = /this run uses seed (\d+)$/.exec(seedText)?.[1];
    expect(seed).toBeDefined();
    expect(await first.locator('.take-params').textContent()).toBe(`duration 1 s · top-k 50 · top-p 0 · temperature 1 · CFG 3 · seed ${seed}`);
    const firstJob = await first.getAttribute('data-job');
    const firstUrl = (await first.locator('audio').getAttribute('src'))!;
    const firstBytes = await bytesOf(page, firstUrl);

    await page.reload();
    // The take, with a working player, and the form's values are back.
    await expect.poll(() => takeCount(page), POLL).toBe(before + 1);
    const again = page.locator('#takeList .take').first();
    expect(await again.getAttribute('data-job')).toBe(firstJob);
    await expect.poll(() => again.locator('audio').evaluate((a) => (a as unknown as { duration: number }).duration), POLL).toBeCloseTo(1, 2);
    expect(await again.locator('h3').textContent()).toBe('take one');
    expect(await page.locator('#description').inputValue()).toBe('take one');
    expect(await page.locator('#duration').inputValue()).toBe('1');
    expect(await page.locator('#durationValue').textContent()).toBe('1 s');
    expect(await page.locator('#topK').inputValue()).toBe('50');
    expect(await page.locator('#seed').inputValue()).toBe('');

    // A second Submit keeps the first take listed.
    await fillForm(page, { description: 'take two', seed: '11' });
    await page.locator('#submit').click();
    await expect.poll(() => takeCount(page), { timeout: 60_000 }).toBe(before + 2);
    expect(await page.locator('#takeList .take h3').allTextContents()).toEqual(expect.arrayContaining(['take one', 'take two']));
    expect(await page.locator('#takeList .take').first().locator('h3').textContent()).toBe('take two');
    const secondBytes = await bytesOf(page, (await page.locator('#takeList .take').first().locator('audio').getAttribute('src'))!);
    expect(secondBytes.equals(firstBytes)).toBe(false);

    // Two takes side by side (1280 px): both players on one row.
    await page.setViewportSize({ width: 1280, height: 900 });
    const cards = await Promise.all([0, 1].map((i) => page.locator('#takeList .take').nth(i).boundingBox()));
    expect(Math.abs(cards[0]!.y - cards[1]!.y)).toBeLessThan(1);
    expect(cards[1]!.x).toBeGreaterThan(cards[0]!.x + cards[0]!.width);
    const players = await Promise.all([0, 1].map((i) => page.locator('#takeList .take').nth(i).locator('audio').first().boundingBox()));
    expect(Math.abs(players[0]!.y - players[1]!.y)).toBeLessThan(80); // one glance, not one above the other
    keepShot('takes-1280.png', await page.screenshot({ fullPage: true }));
    await page.setViewportSize({ width: 1000, height: 1100 });

    // "Use these settings" on take one refills the form, its drawn seed included, and reproduces it.
    await page.locator(`#takeList .take[data-job="${firstJob}"] button.use`).click();
    expect(await page.locator('#description').inputValue()).toBe('take one');
    expect(await page.locator('#seed').inputValue()).toBe(seed);
    expect(await page.locator('#topK').inputValue()).toBe('50');
    expect(await page.evaluate('document.activeElement.id')).toBe('submit');
    await page.keyboard.press('Enter');
    await expect.poll(() => takeCount(page), { timeout: 60_000 }).toBe(before + 3);
    const third = page.locator('#takeList .take').first();
    expect(await third.getAttribute('data-job')).not.toBe(firstJob);
    const thirdBytes = await bytesOf(page, (await third.locator('audio').getAttribute('src'))!);
    expect(thirdBytes.length).toBeGreaterThan(44);
    expect(thirdBytes.equals(firstBytes)).toBe(true);

    // Remove takes the take (and its files) away; focus stays in the list.
    const removedUrl = (await third.locator('audio').getAttribute('src'))!;
    await third.locator('button.remove').click();
    await expect.poll(() => takeCount(page), POLL).toBe(before + 2);
    expect((await page.request.get(new URL(removedUrl, app.url).toString())).status()).toBe(404);
    expect(await page.evaluate('document.activeElement.className')).toBe('secondary remove');
    await page.reload();
    await expect.poll(() => takeCount(page), POLL).toBe(before + 2);
    await page.close();
  });

  it('status: the queue line never says idle while the tab\'s job runs; the decode stage follows the last step; focus stays on the buttons', async () => {
    const page = await open();
    // One observer for the three lines, so their changes are recorded in the order they happened
    // (separate observers are called in creation order, whatever the order of the changes), each
    // with the text it set, the time and its place in that order.
    await page.evaluate(`(() => {
      window.__seen = [];
      const ids = ['queueInfo', 'progressText', 'message'];
      const els = ids.map((id) => document.getElementById(id));
      const observer = new MutationObserver((records) => {
        for (const r of records) {
          const i = els.findIndex((el) => el === r.target || el.contains(r.target));
          if (i < 0) continue;
          const text = r.type === 'childList' ? Array.from(r.addedNodes).map((n) => n.textContent).join('') : r.target.textContent;
          window.__seen.push([ids[i], text, performance.now(), window.__seen.length]);
        }
      });
      for (const el of els) observer.observe(el, { childList: true, characterData: true, subtree: true });
    })()`);
    await fillForm(page, { description: 'status check', duration: '2' });
    await page.locator('#submit').focus();
    const submitAt = (await page.evaluate('performance.now()')) as number;
    await page.keyboard.press('Enter');
    // Enter on Submit: focus moves to Interrupt (not to the page body).
    await expect.poll(() => page.evaluate('document.activeElement.id'), POLL).toBe('interrupt');
    await page.locator('#message', { hasText: /^Done/ }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate('document.activeElement.id')).toBe('submit');
    const seen = (await page.evaluate('window.__seen')) as [string, string, number, number][];
    const queueLines = seen.filter(([id]) => id === 'queueInfo').map(([, t]) => t);
    expect(queueLines.some((t) => t.startsWith('Queue: yours is generating'))).toBe(true);
    const doneOrder = seen.find(([id, t]) => id === 'message' && t.startsWith('Done'))![3];
    expect(queueLines.length).toBeGreaterThan(0);
    // (before the Submit the line may say idle: the queue was idle then)
    expect(seen.filter(([id, , at, order]) => id === 'queueInfo' && at > submitAt && order < doneOrder).map(([, t]) => t).filter((t) => t.includes('idle'))).toEqual([]);
    // After the last decoder step the page shows the decode stage, then Done.
    const texts = seen.filter(([id]) => id === 'progressText').map(([, t]) => t);
    const last = texts.findIndex((t) => /^step (\d+) \/ \1( · ETA|$)/.test(t));
    const decoding = texts.findIndex((t) => /^step (\d+) \/ \1 · decoding the audio$/.test(t));
    expect(last).toBeGreaterThanOrEqual(0);
    expect(decoding).toBeGreaterThan(last);
    expect(seen.some(([id, t]) => id === 'message' && t === 'Decoding the audio and drawing its pictures…')).toBe(true);
    expect(await page.locator('#progressText').textContent()).toMatch(/^step (\d+) \/ \1$/);

    // Enter on Interrupt: focus returns to Submit once the run has stopped.
    await fillForm(page, { duration: '120' });
    await page.locator('#submit').click();
    await expect.poll(() => page.evaluate(`document.getElementById('progressText').textContent`), { timeout: 30_000 }).toMatch(/ETA/);
    expect(await page.locator('#queueInfo').textContent()).toMatch(/^Queue: yours is generating/);
    await page.locator('#interrupt').focus();
    await page.keyboard.press('Enter');
    await page.locator('#message', { hasText: 'Interrupted: the generation was stopped.' }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate('document.activeElement.id')).toBe('submit');
    expect(await page.locator('#progressText').textContent()).toBe('');
    expect(await page.locator('#queueInfo').textContent()).not.toMatch(/yours/);
    await page.close();
  });

  it('closing the only tab of a running job stops it within the grace period', async () => {
    const page = await open();
    await fillForm(page, { description: 'nobody listens', duration: '120' });
    await page.locator('#submit').click();
    await expect.poll(() => page.evaluate(`document.getElementById('progress').value`), { timeout: 30_000 }).toBeGreaterThan(5);
    const job = JSON.parse((await page.evaluate(`sessionStorage.getItem('musicgen-job')`)) as string).id as string;
    const t0 = Date.now();
    await page.close();
    await expect.poll(() => serverLog.some((l) => l.startsWith(`job ${job} interrupted: no page has followed it`)), { timeout: ORPHAN_GRACE_MS + 10_000, interval: 100 }).toBe(true);
    const after = Date.now() - t0;
    process.stdout.write(`browser tab closed: job stopped ${after} ms later (grace ${ORPHAN_GRACE_MS} ms)\n`);
    expect(after).toBeLessThan(ORPHAN_GRACE_MS + 5000);
    // The API says so too (and the model is free for the next job).
    const other = await open();
    const status = (await other.evaluate(`fetch('/api/jobs/${job}').then((r) => r.json())`)) as { status: string; event: { message: string } };
    expect(status).toEqual({ status: 'interrupted', event: { type: 'interrupted', message: 'Interrupted: no page was following the generation.' } });
    await expect.poll(() => other.locator('#queueInfo').textContent(), POLL).toBe('Queue: idle (at most 1 can wait)');
    await other.close();
  });

  it('checks the whole form at once, naming fields as the page does, and focuses the first wrong one', async () => {
    const page = await open();
    await fillForm(page, { topK: '-5', topP: '2', temperature: 'warm', cfgCoef: '-1' });
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('#message').textContent(), POLL).toBe('Please fix the 4 highlighted fields.');
    const errorsShown = Object.fromEntries(
      await Promise.all(['topK', 'topP', 'temperature', 'cfgCoef', 'seed'].map(async (f) => [f, await page.locator(`.field-error[data-for=${f}]`).textContent()])),
    );
    expect(errorsShown).toEqual({
      topK: expect.stringMatching(/^Top-k must be an integer >= 0/),
      topP: expect.stringMatching(/^Top-p must be a number in \[0, 1\]/),
      temperature: 'Temperature must be a number, got "warm"',
      cfgCoef: expect.stringMatching(/^Classifier-free guidance must be a finite number >= 0/),
      seed: '',
    });
    expect(await page.locator('.field.invalid').count()).toBe(4);
    expect(await page.evaluate('document.activeElement.id')).toBe('topK');
    await page.close();
  });

  it('phone (390 px): touch targets are at least 44 px, the model name fits; a favicon; screenshots at 1280 and 390 px', async () => {
    const page = await open({ viewport: { width: 390, height: 844 } });
    await expect.poll(() => takeCount(page), POLL).toBeGreaterThan(0);
    await page.locator('#model').selectOption('default');
    const small = (await page.evaluate(`(() => {
      const out = [];
      for (const el of document.querySelectorAll('button, input, select, textarea, a, summary')) {
        const r = el.getBoundingClientRect();
        if (el.type === 'hidden' || r.width === 0 || el.closest('[hidden]')) continue;
        if (r.height < 44 || r.width < 44) out.push((el.id || el.className || el.tagName) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
      }
      return out;
    })()`)) as string[];
    expect(small).toEqual([]);
    // The chosen model's name is not cut off: its text fits inside the select (arrow included).
    const fit = (await page.evaluate(`(() => {
      const s = document.getElementById('model');
      const c = document.createElement('canvas').getContext('2d');
      c.font = getComputedStyle(s).font;
      const st = getComputedStyle(s);
      return { text: c.measureText(s.options[s.selectedIndex].textContent).width + parseFloat(st.paddingLeft) + parseFloat(st.paddingRight), box: s.clientWidth, page: document.documentElement.scrollWidth };
    })()`)) as { text: number; box: number; page: number };
    // 24 px: the drop-down arrow.
    expect(fit.text + 24).toBeLessThan(fit.box);
    expect(fit.page).toBeLessThanOrEqual(390); // no sideways scrolling
    const phone = await page.screenshot({ fullPage: true });
    keepShot('phone-390.png', phone);
    expect((await pixelStats(ctx, phone)).variance).toBeGreaterThan(100);
    await page.setViewportSize({ width: 1280, height: 900 });
    keepShot('desktop-1280.png', await page.screenshot({ fullPage: true }));
    // The favicon: /favicon.ico answers, and the browser decodes it as a 32x32 image.
    const icon = await page.request.get(new URL('/favicon.ico', app.url).toString());
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/x-icon');
    const size = await page.evaluate(`new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok([i.naturalWidth, i.naturalHeight]); i.onerror = fail; i.src = '/favicon.ico'; })`);
    expect(size).toEqual([32, 32]);
    await page.close();
  });
});
