import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/mos.js';
import { startMosServer } from '../../src/mos/serve.js';
import { MosStore } from '../../src/mos/store.js';
import { writeTone } from './audioFixture.js';
import { tempDir } from './storeFixture.js';

afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  register(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'musicgen', 'mos', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

/** A manifest of `items` x 2 systems of 0.5 s tones. */
function manifest(dir: string, items = 3): string {
  const entries = [];
  for (let i = 0; i < items; i++)
    for (const system of ['small', 'large']) {
      writeTone(join(dir, system, `p${i}.wav`), { seconds: 0.5, freqs: [220 * (i + 1)], amp: system === 'small' ? 0.1 : 0.3 });
      entries.push({ id: `p${i}`, system, prompt: `prompt ${i}`, audio: `${system}/p${i}.wav` });
    }
  const file = join(dir, 'manifest.json');
  writeFileSync(file, JSON.stringify({ name: 'sweep', items: entries }));
  return file;
}

describe('musicgen mos (CLI)', () => {
  it('import, invite and export', async () => {
    const dir = tempDir();
    const db = join(dir, 'mos.db');
    const out = await run(['import', '--db', db, '--manifest', manifest(dir), '--scale', 'ovl', '--per-rater', '4', '--open-link']);
    expect(out).toMatch(/imported set "sweep": 3 items x 2 systems \(large, small\), 9 playback files/);
    expect(out).toMatch(/created test "sweep-ovl" \(OVL\)/);
    const links = (await run(['invite', '--db', db, '--test', 'sweep-ovl', '--count', '3', '--base-url', 'http://127.0.0.1:9999/'])).trim().split('\n');
    expect(links).toHaveLength(3);
    for (const l of links) expect(l).toMatch(/^http:\/\/127\.0\.0\.1:9999\/i\/[A-Za-z0-9_-]{32}$/);
    await run(['add-test', '--db', db, '--set', 'sweep', '--test', 'rel', '--scale', 'rel']);
    const csvFile = join(dir, 'out.csv');
    await run(['export', '--db', db, '--test', 'rel', '--out', csvFile]);
    expect(readFileSync(csvFile, 'utf8')).toMatch(/^ratingId,test,raterId/);
    const json = JSON.parse(await run(['export', '--db', db, '--test', 'sweep-ovl', '--format', 'json']));
    expect(json).toMatchObject({ test: 'sweep-ovl', ratings: [], report: { scale: 'ovl', ratings: 0 } });
    const store = MosStore.open(db);
    expect(store.listTests().map((t) => t.name)).toEqual(['sweep-ovl', 'rel']);
    store.close();
  });

  it('rejects bad arguments with a message', async () => {
    await expect(run(['serve', '--db', 'x.db', '--port', '70000'])).rejects.toThrow(/--port must be an integer/);
    // Trusting every proxy would let any client choose its own address (and rate budget).
    for (const bad of ['*', 'true', '0.0.0.0/0 ; x', ''])
      await expect(run(['serve', '--db', 'x.db', '--trust-proxy', bad]), bad).rejects.toThrow(/--trust-proxy takes/);
    await expect(run(['import', '--db', join(tempDir(), 'x.db')])).rejects.toThrow(/either --manifest/);
    await expect(run(['import', '--db', 'x.db', '--folder', 'nodir'])).rejects.toThrow(/SYSTEM=DIR/);
    await expect(run(['export', '--db', join(tempDir(), 'x.db'), '--test', 'none'])).rejects.toThrow(/no test named "none"/);
  });

  it('a server killed with SIGKILL right after acknowledging ratings loses none of them', async () => {
    const dir = tempDir();
    const db = join(dir, 'mos.db');
    await run(['import', '--db', db, '--manifest', manifest(dir, 6), '--per-rater', '6', '--traps-per-rater', '0']);
    const tokens = (await run(['invite', '--db', db, '--test', 'sweep-acr', '--count', '4'])).trim().split('\n').map((l) => l.split('/i/')[1]);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'cliChild.ts'), 'mos', 'serve', '--db', db, '--port', '0', '--min-listen-ratio', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MUSICGEN_MOS_ADMIN_SECRET: 'durability-secret-0123456789' } },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new Error(`server did not start: ${buf}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${buf}`)));
      });
      // Four raters rate concurrently over loopback; a 303 is the acknowledgement.
      const acked: { token: string; clip: string; score: number }[] = [];
      await Promise.all(
        tokens.map(async (token, r) => {
          const cookie = `mos_rater=${token}`;
          for (let k = 0; k < 6; k++) {
            const html = await (await fetch(`${url}/session`, { headers: { cookie } })).text();
            const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
            const assignment = Number(/name="assignment" value="(\d+)"/.exec(html)?.[1]);
            const clip = /data-clip="([^"]+)"/.exec(html)?.[1] ?? '';
            for (const event of ['start', 'ended'])
              await fetch(`${url}/api/play`, {
                method: 'POST',
                headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
                body: JSON.stringify({ assignment, clip, event, ...(event === 'ended' ? { ranges: [[0, 0.5]] } : {}) }),
              });
            const score = 1 + ((r + k) % 5);
            const res = await fetch(`${url}/rate`, {
              method: 'POST',
              redirect: 'manual',
              headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ csrf, assignment: String(assignment), [`s_${clip}`]: String(score) }).toString(),
            });
            if (res.status === 303) acked.push({ token, clip, score });
          }
        }),
      );
      child.kill('SIGKILL'); // immediately after the last acknowledgement
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      expect(child.signalCode).toBe('SIGKILL');
      expect(acked).toHaveLength(24);
      const store = MosStore.open(db);
      const rows = store.db
        .prepare(
          `SELECT ra.token AS token, c.public_id AS clip, r.score AS score FROM ratings r JOIN assignments a ON a.id = r.assignment_id
           JOIN raters ra ON ra.id = a.rater_id JOIN clips c ON c.id = r.clip_id`,
        )
        .all() as { token: string; clip: string; score: number }[];
      store.close();
      const key = (x: { token: string; clip: string; score: number }) => `${x.token}/${x.clip}/${x.score}`;
      expect(rows.map(key).sort()).toEqual(acked.map(key).sort()); // every acknowledged rating, exactly once
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('generates and prints the admin secret once when the environment has none, never storing it', async () => {
    const db = join(tempDir(), 'mos.db');
    const lines: string[] = [];
    const s = await startMosServer({ db, port: 0, host: '127.0.0.1', env: {}, log: (l) => lines.push(l) });
    try {
      const secretLines = lines.filter((l) => l.startsWith('admin secret'));
      expect(secretLines).toHaveLength(1);
      const secret = secretLines[0].split(': ').at(-1) ?? '';
      expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const ok = await fetch(`${s.url}/admin/tests/1/export.csv`, { headers: { authorization: `Bearer ${secret}` } });
      expect(ok.status).toBe(404); // authenticated; there is no test 1
      const bad = await fetch(`${s.url}/admin/tests/1/export.csv`, { headers: { authorization: 'Bearer wrong-secret' } });
      expect(bad.status).toBe(403);
    } finally {
      await s.close();
    }
    expect(readFileSync(db).includes(Buffer.from(lines.join('').split(': ').at(-1) ?? 'x'))).toBe(false);
    await expect(startMosServer({ db, port: 0, host: '127.0.0.1', env: { MUSICGEN_MOS_ADMIN_SECRET: 'short' }, log: () => undefined })).rejects.toThrow(
      /at least 16 characters/,
    );
  });
});
