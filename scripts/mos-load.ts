// Load check for the MOS server: N simulated raters rate concurrently over loopback against a
// server in a child process; every acknowledged rating must be stored exactly once. Reports
// ratings/s. Not a timed test: run it by hand.
//
//   node --import tsx scripts/mos-load.ts [--raters 50] [--pages 10]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importManifest } from '../src/mos/importSet.js';
import { startMosServer } from '../src/mos/serve.js';
import { MosStore } from '../src/mos/store.js';
import { encodeWav } from '../src/audio/wavCodec.js';

const SECRET = 'load-test-admin-secret-000000';

function arg(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return v;
}

/** Child mode: serve the database on a free loopback port and print the URL. */
async function serveChild(db: string): Promise<void> {
  // Every simulated rater comes from 127.0.0.1: lift the per-address limit.
  const s = await startMosServer({ db, port: 0, host: '127.0.0.1', minListenRatio: 0, rateLimitPerMinute: 1_000_000, env: { MUSICGEN_MOS_ADMIN_SECRET: SECRET }, log: () => undefined });
  process.stdout.write(`URL ${s.url}\n`);
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
}

function tone(freq: number, amp: number): Uint8Array {
  const sr = 32000;
  const x = new Float32Array(sr / 2);
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / sr);
  return encodeWav([x], sr, 'pcm16');
}

interface Ack {
  token: string;
  clip: string;
  score: number;
}

/** One rater: page after page until the thank-you page (bounded by maxPages). */
async function rater(url: string, token: string, maxPages: number, acks: Ack[], counter: { requests: number; failures: number }): Promise<void> {
  const cookie = `mos_rater=${token}`;
  for (let page = 0; page < maxPages; page++) {
    counter.requests++;
    const html = await (await fetch(`${url}/session`, { headers: { cookie } })).text();
    if (html.includes('Thank you')) return;
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const assignment = /name="assignment" value="(\d+)"/.exec(html)?.[1];
    const clip = /data-clip="([^"]+)"/.exec(html)?.[1];
    if (!csrf || !assignment || !clip) throw new Error(`unexpected page for rater ${token.slice(0, 6)}: ${html.slice(0, 200)}`);
    for (const event of ['start', 'ended']) {
      counter.requests++;
      const r = await fetch(`${url}/api/play`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
        // (the clips are 0.5 s tones: the page would report them played from 0 to 0.5 s)
        body: JSON.stringify({ assignment: Number(assignment), clip, event, ...(event === 'ended' ? { ranges: [[0, 0.5]] } : {}) }),
      });
      if (r.status !== 204) counter.failures++;
    }
    const score = 1 + Math.floor(Math.random() * 5);
    counter.requests++;
    const res = await fetch(`${url}/rate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, assignment, [`s_${clip}`]: String(score) }).toString(),
    });
    if (res.status === 303) acks.push({ token, clip, score });
    else counter.failures++;
  }
}

async function main(): Promise<void> {
  const raters = arg('raters', 50, 500);
  const pages = arg('pages', 10, 100);
  const dir = mkdtempSync(join(tmpdir(), 'mos-load-'));
  try {
    const items = [];
    const nItems = Math.max(10, Math.ceil(pages * 1.5));
    for (let i = 0; i < nItems; i++)
      for (const [s, system] of ['A', 'B', 'C'].entries()) {
        writeFileSync(join(dir, `${system}${i}.wav`), tone(200 + 20 * i, 0.1 + 0.1 * s));
        items.push({ id: `p${i}`, system, prompt: `prompt ${i}`, audio: `${system}${i}.wav` });
      }
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'load', items }));
    const db = join(dir, 'mos.db');
    const store = MosStore.open(db);
    await importManifest(store, join(dir, 'm.json'), { cacheDir: join(dir, 'cache') });
    const test = store.createTest({ setName: 'load', name: 'load', scale: 'acr', trialsPerRater: pages, trapsPerRater: 1 });
    const tokens = store.transaction(() => Array.from({ length: raters }, () => store.createRater(test.id).token));
    store.close();

    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve-child', db], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error('server did not start in 60 s')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /URL (\S+)/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const acks: Ack[] = [];
    const counter = { requests: 0, failures: 0 };
    const t0 = performance.now();
    await Promise.all(tokens.map((t) => rater(url, t, pages + 2, acks, counter)));
    const seconds = (performance.now() - t0) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const check = MosStore.open(db);
    const rows = check.db
      .prepare(
        `SELECT ra.token AS token, c.public_id AS clip, r.score AS score FROM ratings r
         JOIN assignments a ON a.id = r.assignment_id JOIN raters ra ON ra.id = a.rater_id JOIN clips c ON c.id = r.clip_id`,
      )
      .all() as Ack[];
    check.close();
    const key = (a: Ack) => `${a.token}/${a.clip}/${a.score}`;
    const stored = new Map<string, number>();
    for (const r of rows) stored.set(key(r), (stored.get(key(r)) ?? 0) + 1);
    const missing = acks.filter((a) => stored.get(key(a)) !== 1).length;
    const unacked = rows.length - acks.length;
    process.stdout.write(
      `${raters} raters, ${acks.length} acknowledged ratings in ${seconds.toFixed(2)} s: ` +
        `${(acks.length / seconds).toFixed(1)} ratings/s, ${(counter.requests / seconds).toFixed(1)} requests/s; ` +
        `failed requests ${counter.failures}; stored exactly once: ${acks.length - missing}/${acks.length}; stored but not acknowledged: ${unacked}\n`,
    );
    if (missing || unacked || counter.failures) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf('--serve-child');
if (childIndex >= 0) await serveChild(process.argv[childIndex + 1]);
else await main();
