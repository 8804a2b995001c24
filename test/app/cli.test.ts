import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { synthesizedPreset } from '../helpers/models.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'cliChild.ts');

describe('musicgen app (CLI)', () => {
  it('lists the embedded default and the --models folders, serves the page, and deletes its temporary folder on SIGTERM', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'musicgen-app-cache-'));
    const models = dirname(synthesizedPreset('melody-tiny'));
    const proc = spawn(process.execPath, ['--import', 'tsx', child, 'app', '--port', '0', '--models', models, '--threads', '1'], {
      env: { ...process.env, MUSICGEN_CACHE_DIR: cache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/generated files go to/.test(out)) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`app did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
      const work = /generated files go to (\S+)/.exec(out)![1];
      expect(existsSync(work)).toBe(true);
      const page = await (await fetch(url)).text();
      expect(page).toContain('<option value="default"');
      expect(page).toContain('default: tiny, random weights');
      expect(page).toMatch(/<option value="melody-tiny-0"[^>]*>melody-tiny-0 \(melody\)</);
      expect(existsSync(join(cache, 'models'))).toBe(true); // the default was built in MUSICGEN_CACHE_DIR
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(work)).toBe(false);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
