import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../src/cli/fetch.js';
import { RepoNotFoundError } from '../../src/hub/errors.js';
import { synthesizedPreset } from '../helpers/models.js';
import { FakeHub, filesOfFolder } from './fakeHub.js';

const REPO = 'cli-org/musicgen-tiny';
const work = mkdtempSync(join(tmpdir(), 'mg-hub-cli-'));
let hub: FakeHub;

beforeAll(async () => {
  hub = await FakeHub.start({ [REPO]: { files: filesOfFolder(synthesizedPreset('tiny', 0, 'merged')) } });
  process.env.HF_ENDPOINT = hub.endpoint;
  delete process.env.HF_TOKEN;
});

afterAll(async () => {
  delete process.env.HF_ENDPOINT;
  await hub?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `musicgen fetch …` on a fresh program, returning what it printed. */
async function runFetch(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'musicgen', 'fetch', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

describe('musicgen fetch', () => {
  it('downloads with a progress bar, prints the folder alone on stdout, then answers from the cache', async () => {
    const cache = join(work, 'cache');
    const first = await runFetch([REPO, '--cache-dir', cache]);
    const dir = join(cache, 'hub', 'cli-org--musicgen-tiny', 'main');
    expect(first.stdout).toBe(`${dir}\n`);
    expect(existsSync(join(dir, 'onnx', 'decoder_model_merged.onnx'))).toBe(true);
    expect(first.stderr).toMatch(/fetch \[#+\]/);
    expect(first.stderr).toMatch(/fp32, commit [0-9a-f]{8}, downloaded [\d.]+ MB/);

    hub.requests.length = 0;
    const second = await runFetch([REPO, '--cache-dir', cache, '--revision', 'main', '--dtype', 'fp32']);
    expect(second.stdout).toBe(`${dir}\n`);
    expect(second.stderr).toMatch(/cached/);
    expect(hub.contentRequests()).toEqual([]);
  });

  it('MUSICGEN_CACHE_DIR is the default cache root', async () => {
    const cache = join(work, 'env-cache');
    process.env.MUSICGEN_CACHE_DIR = cache;
    try {
      const r = await runFetch([REPO]);
      expect(r.stdout).toBe(`${join(cache, 'hub', 'cli-org--musicgen-tiny', 'main')}\n`);
    } finally {
      delete process.env.MUSICGEN_CACHE_DIR;
    }
  });

  it('a missing repo rejects with the typed error, prints no folder and creates nothing', async () => {
    const run = runFetch(['cli-org/nope', '--cache-dir', join(work, 'c3')]);
    await expect(run).rejects.toBeInstanceOf(RepoNotFoundError);
    expect(existsSync(join(work, 'c3'))).toBe(false); // not even the cache root
  });
});
