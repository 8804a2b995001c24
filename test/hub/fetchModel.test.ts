import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MusicGen } from '../../src/inference/musicgen.js';
import {
  ChecksumMismatchError,
  DtypeNotAvailableError,
  HubAuthError,
  HubNetworkError,
  NoMusicgenFilesError,
  NotInCacheError,
  RepoNotFoundError,
  RevisionNotFoundError,
} from '../../src/hub/errors.js';
import { fetchModel, type FetchModelOptions } from '../../src/hub/fetchModel.js';
import { loadPretrained } from '../../src/hub/loadPretrained.js';
import { MANIFEST_FILE } from '../../src/hub/cacheManifest.js';
import { hasMappedWeights } from '../../src/convert/graphFiles.js';
import { embedWeights } from '../helpers/embeddedDecoder.js';
import { fixtureCheckpointDir, fixtureI64 } from '../helpers/fixtures.js';
import { synthesizedPreset } from '../helpers/models.js';
import { FakeHub, filesOfFolder, isLfs } from './fakeHub.js';

const ONNX_REPO = 'test-org/musicgen-tiny-onnx';
const SAFETENSORS_REPO = 'test-org/musicgen-tiny';
const GATED_REPO = 'test-org/gated-tiny';
const PRIVATE_REPO = 'test-org/private-tiny';
const EMPTY_REPO = 'test-org/not-a-model';
const TOKEN = 'hf_fake_test_token_123';

const work = mkdtempSync(join(tmpdir(), 'mg-hub-'));
let hub: FakeHub;
let onnxFiles: Map<string, Buffer>;
let withExtras: Map<string, Buffer>;
let caseNo = 0;
/** A fresh cache root per test: no test sees another's downloads. */
let cache = '';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function opts(extra: FetchModelOptions = {}): FetchModelOptions {
  return { endpoint: hub.endpoint, cacheDir: cache, token: null, ...extra };
}

/** Every file under a folder, recursively, relative '/' paths (dot files included). */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listTree(p, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

beforeAll(async () => {
  delete process.env.HF_TOKEN;
  delete process.env.HF_ENDPOINT;
  // A transformers.js-style repo (merged decoder), as Xenova/musicgen-small.
  // Our EnCodec halves dropped: Xenova's repos have only encodec_decode.onnx.
  onnxFiles = filesOfFolder(synthesizedPreset('tiny', 0, 'merged'));
  for (const k of [...onnxFiles.keys()]) if (k.startsWith('onnx/encodec_decode_')) onnxFiles.delete(k);
  // Files a MusicGen folder does not need: they must not be downloaded.
  withExtras = new Map(onnxFiles);
  withExtras.set('README.md', Buffer.from('# tiny\n'));
  withExtras.set('.gitattributes', Buffer.from('*.onnx filter=lfs\n'));
  withExtras.set('onnx/decoder_model.onnx', Buffer.alloc(50_000, 7));
  const checkpoint = filesOfFolder(fixtureCheckpointDir('musicgen-tiny'));
  for (const k of [...checkpoint.keys()]) if (k.startsWith('reference/')) checkpoint.delete(k);
  hub = await FakeHub.start({
    [ONNX_REPO]: { files: withExtras },
    [SAFETENSORS_REPO]: { files: checkpoint },
    [GATED_REPO]: { files: onnxFiles, access: { kind: 'gated', token: TOKEN } },
    [PRIVATE_REPO]: { files: onnxFiles, access: { kind: 'private', token: TOKEN } },
    [EMPTY_REPO]: { files: new Map([['README.md', Buffer.from('hello')], ['pytorch_model.bin', Buffer.alloc(10)]]) },
  });
});

beforeEach(() => {
  cache = join(work, `case-${caseNo++}`);
  hub.requests.length = 0;
  hub.dropOnce.clear();
  hub.corruptOnce.clear();
  hub.truncateOnce.clear();
  hub.stallOnce.clear();
  delete process.env.HF_HUB_OFFLINE;
  hub.ignoreRange = false;
  delete process.env.HF_TOKEN;
  delete process.env.HF_ENDPOINT;
});

afterAll(async () => {
  await hub?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('fetchModel from a hub serving an ONNX folder', () => {
  it('downloads exactly the needed files, byte-identical, LFS through the redirect, with progress to the total', async () => {
    const seen: Array<[number, number, string]> = [];
    const r = await fetchModel(ONNX_REPO, opts({ progress: (d, t, f) => seen.push([d, t, f]) }));
    expect(r.fromCache).toBe(false);
    expect(r.source).toBe('onnx');
    expect(r.commit).toBe(hub.commitOf(ONNX_REPO));
    expect(r.dir).toBe(join(cache, 'hub', 'test-org--musicgen-tiny-onnx', 'main'));
    const got = listTree(r.dir).filter((p) => p !== '.musicgen-hub.json').sort();
    // Plus our kvbuffer decoder, built from the merged one after download.
    expect(got).toEqual([...onnxFiles.keys(), 'onnx/decoder_model_kvbuffer.onnx', 'onnx/decoder_model_kvbuffer.onnx_data'].sort());
    for (const [path, data] of onnxFiles) expect(sha256(readFileSync(join(r.dir, path))), path).toBe(sha256(data));
    // The unneeded files were never requested; the .onnx files came from the CDN origin.
    const urls = hub.contentRequests().map((q) => q.url);
    expect(urls.some((u) => u.includes('decoder_model.onnx') || u.includes('README') || u.includes('gitattributes'))).toBe(false);
    const cdn = hub.requests.filter((q) => q.server === 'cdn');
    const lfsCount = [...onnxFiles].filter(([p, d]) => isLfs(p, d)).length;
    expect(lfsCount).toBeGreaterThanOrEqual(4);
    expect(cdn.length).toBe(lfsCount);
    const total = [...onnxFiles.values()].reduce((s, b) => s + b.length, 0);
    expect(seen.at(-1)?.slice(0, 2)).toEqual([total, total]);
    expect(r.downloadedBytes).toBe(total);
    // Staging is cleaned up; nothing half-written is left beside the folder.
    expect(readdirSync(join(cache, 'hub', 'test-org--musicgen-tiny-onnx'))).toEqual(['main']);
  });

  it('loadPretrained loads the download and a short greedy generation equals the source folder', async () => {
    const fromHub = await loadPretrained(ONNX_REPO, { ...opts(), threads: 1 });
    expect(fromHub.files.decoderLayout).toBe('kvbuffer');
    const local = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const params = { useSampling: false, frames: 6 };
    const a = await fromHub.generate(['calm piano'], { params });
    const b = await local.generate(['calm piano'], { params });
    expect(a.codes[0][0].length).toBe(6);
    expect(a.codes).toEqual(b.codes);
    expect(Array.from(a.audio[0][0].subarray(0, 64))).toEqual(Array.from(b.audio[0][0].subarray(0, 64)));
  });

  it('a second fetch reuses the cache: metadata only, no file contents requested', async () => {
    const first = await fetchModel(ONNX_REPO, opts());
    hub.requests.length = 0;
    const second = await fetchModel(ONNX_REPO, opts());
    expect(second.fromCache).toBe(true);
    expect(second.dir).toBe(first.dir);
    expect(second.downloadedBytes).toBe(0);
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.contentRequests()).toEqual([]);
    // Pinned to a commit sha, the cache answers without any request at all.
    const pinned = await fetchModel(ONNX_REPO, opts({ revision: first.commit }));
    hub.requests.length = 0;
    const again = await fetchModel(ONNX_REPO, opts({ revision: first.commit }));
    expect(pinned.fromCache).toBe(false);
    expect(again.fromCache).toBe(true);
    expect(hub.requests).toEqual([]);
  });

  it('a folder cached by an older musicgen-ts (decoder weights inside the .onnx) is rewritten once, offline, with no download; the manifest lists both files and the codes stay', async () => {
    const first = await fetchModel(ONNX_REPO, opts());
    const rel = 'onnx/decoder_model_kvbuffer.onnx';
    const mg0 = await MusicGen.load(first.dir, { threads: 1 });
    const params = { useSampling: false, frames: 6 };
    const before = (await mg0.generate(['calm piano'], { params })).codes;
    await mg0.dispose();
    // What an older version left: the embedded decoder, recorded so in the manifest.
    embedWeights(join(first.dir, rel));
    const manifestPath = join(first.dir, MANIFEST_FILE);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    delete manifest.files[`${rel}_data`];
    manifest.files[rel] = statSync(join(first.dir, rel)).size;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(hasMappedWeights(join(first.dir, rel))).toBe(false);

    hub.requests.length = 0;
    const logged: string[] = [];
    const again = await fetchModel(ONNX_REPO, opts({ offline: true, log: (m) => logged.push(m) }));
    expect(again.fromCache).toBe(true);
    expect(hub.requests).toEqual([]);
    expect(logged.some((m) => /decoder's weights/.test(m))).toBe(true);
    expect(hasMappedWeights(join(first.dir, rel))).toBe(true);
    const after = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const f of [rel, `${rel}_data`]) expect(after.files[f], f).toBe(statSync(join(first.dir, f)).size);
    const mg = await MusicGen.load(again.dir, { threads: 1 });
    expect((await mg.generate(['calm piano'], { params })).codes).toEqual(before);
    await mg.dispose();
    // Done once: the next fetch finds the current layout and only checks the commit.
    logged.length = 0;
    const third = await fetchModel(ONNX_REPO, opts({ log: (m) => logged.push(m) }));
    expect(third.fromCache).toBe(true);
    expect(hub.contentRequests()).toEqual([]);
    expect(logged.some((m) => /decoder's weights/.test(m))).toBe(false);
  });

  it('a connection dropped mid-file is resumed with a Range request and the file has the right sha256', async () => {
    const path = 'onnx/decoder_model_merged.onnx';
    const data = onnxFiles.get(path) as Buffer;
    expect(data.length).toBeGreaterThan(100_000); // or nothing is cut
    hub.dropOnce.set(path, 100_000);
    const r = await fetchModel(ONNX_REPO, opts());
    const cdnForFile = hub.requests.filter((q) => q.server === 'cdn' && q.url.includes(sha256(data)));
    expect(cdnForFile.length).toBe(2);
    expect(cdnForFile[0].range).toBeNull();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(cdnForFile[1].range ?? '')?.[1]);
    expect(resumedAt).toBe(100_000);
    expect(sha256(readFileSync(join(r.dir, path)))).toBe(sha256(data));
  });

  it('a download cut with no retries left keeps <file>.incomplete; the next run resumes it', async () => {
    const path = 'onnx/encodec_decode.onnx_data';
    const data = onnxFiles.get(path) as Buffer;
    hub.dropOnce.set(path, 200_000);
    const err = await fetchModel(ONNX_REPO, opts({ retries: 0 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubNetworkError);
    expect((err as Error).message).toMatch(/127\.0\.0\.1:\d+/);
    expect((err as Error).message).toMatch(/run again to resume/);
    const staged = join(cache, 'hub', 'test-org--musicgen-tiny-onnx', '.downloads', hub.commitOf(ONNX_REPO), `${path}.incomplete`);
    expect(statSync(staged).size).toBe(200_000);
    // Never a half-written model folder.
    expect(existsSync(join(cache, 'hub', 'test-org--musicgen-tiny-onnx', 'main'))).toBe(false);
    hub.requests.length = 0;
    const r = await fetchModel(ONNX_REPO, opts());
    const cdnForFile = hub.requests.filter((q) => q.server === 'cdn' && q.url.includes(sha256(data)));
    expect(cdnForFile.map((q) => q.range)).toEqual(['bytes=200000-']);
    // Files finished in the first run are not fetched again.
    expect(hub.requests.some((q) => q.url.endsWith('/text_encoder.onnx') || q.url.includes(sha256(onnxFiles.get('onnx/text_encoder.onnx') as Buffer)))).toBe(
      false,
    );
    expect(sha256(readFileSync(join(r.dir, path)))).toBe(sha256(data));
  });

  it('a corrupted file fails the sha256 check, is deleted, and a rerun downloads it afresh', async () => {
    const path = 'onnx/decoder_model_merged.onnx';
    hub.corruptOnce.add(path);
    const err = await fetchModel(ONNX_REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/deleted/);
    const staged = join(cache, 'hub', 'test-org--musicgen-tiny-onnx', '.downloads', hub.commitOf(ONNX_REPO));
    expect(existsSync(join(staged, path))).toBe(false);
    expect(existsSync(join(staged, `${path}.incomplete`))).toBe(false);
    expect(existsSync(join(cache, 'hub', 'test-org--musicgen-tiny-onnx', 'main'))).toBe(false);
    const r = await fetchModel(ONNX_REPO, opts());
    expect(sha256(readFileSync(join(r.dir, path)))).toBe(sha256(onnxFiles.get(path) as Buffer));
  });

  it('a new commit on main is assembled in a fresh folder and swapped in whole, reusing unchanged weights', async () => {
    const first = await fetchModel(ONNX_REPO, opts());
    const changed = new Map(onnxFiles);
    const newConfig = Buffer.from(JSON.stringify({ ...JSON.parse((onnxFiles.get('config.json') as Buffer).toString()), _note: 'v2' }));
    changed.set('config.json', newConfig);
    const newCommit = 'b'.repeat(40);
    hub.setRepo(ONNX_REPO, { files: changed, commit: newCommit });
    try {
      hub.requests.length = 0;
      const second = await fetchModel(ONNX_REPO, opts());
      expect(second.fromCache).toBe(false);
      expect(second.commit).toBe(newCommit);
      expect(second.dir).toBe(first.dir);
      expect(readFileSync(join(second.dir, 'config.json'))).toEqual(newConfig);
      // Only the changed file is downloaded; unchanged files (same git blob id) come from the old folder.
      expect(hub.contentRequests().map((q) => q.url)).toEqual([`/${ONNX_REPO}/resolve/${newCommit}/config.json`]);
      for (const [path, data] of changed) expect(sha256(readFileSync(join(second.dir, path))), path).toBe(sha256(data));
      expect(JSON.parse(readFileSync(join(second.dir, '.musicgen-hub.json'), 'utf8')).commit).toBe(newCommit);
    } finally {
      hub.setRepo(ONNX_REPO, { files: withExtras });
    }
  });

  it('while a new commit is downloading (here: cut, left for the next run), the cached folder still loads though its unchanged _data files are hard-linked into staging (onnxruntime refuses that only for a subgraph\'s external data, which our decoder keeps inside)', async () => {
    // A repository that ships our decoder (a folder written by musicgen-ts, uploaded).
    const ours = 'test-org/musicgen-tiny-ours';
    const files = filesOfFolder(synthesizedPreset('tiny', 0, 'both'));
    hub.setRepo(ours, { files });
    const first = await fetchModel(ours, opts());
    expect(existsSync(join(first.dir, 'onnx', 'decoder_model_kvbuffer.onnx_data'))).toBe(true);
    // The last file of the plan changes (bytes appended past the weights), so the unchanged ones
    // are staged from the cached folder before the cut.
    const last = 'onnx/encodec_encode.onnx_data';
    const changed = new Map(files);
    changed.set(last, Buffer.concat([files.get(last) as Buffer, Buffer.alloc(64)]));
    hub.setRepo(ours, { files: changed, commit: 'c'.repeat(40) });
    hub.dropOnce.set(last, 1000);
    await expect(fetchModel(ours, opts({ retries: 0 }))).rejects.toThrow(HubNetworkError);
    const staged = join(cache, 'hub', 'test-org--musicgen-tiny-ours', '.downloads', 'c'.repeat(40), 'onnx');
    expect(readdirSync(staged)).toContain('decoder_model_kvbuffer.onnx_data');
    expect(statSync(join(first.dir, 'onnx', 'decoder_model_kvbuffer.onnx_data')).nlink).toBe(2);
    const mg = await MusicGen.load(first.dir, { threads: 1 });
    await mg.dispose();
    // The next run resumes and installs the new commit.
    const second = await fetchModel(ours, opts());
    expect(second.commit).toBe('c'.repeat(40));
    expect(readFileSync(join(second.dir, last)).equals(changed.get(last) as Buffer)).toBe(true);
  });

  it('concurrent fetches of one repo download it once (the second waits for the lock, then finds the cache)', async () => {
    const [a, b] = await Promise.all([fetchModel(ONNX_REPO, opts()), fetchModel(ONNX_REPO, opts())]);
    expect(a.dir).toBe(b.dir);
    expect([a.fromCache, b.fromCache].sort()).toEqual([false, true]);
    expect(hub.requests.filter((q) => q.url.includes('/resolve/')).length).toBe(onnxFiles.size);
    expect(existsSync(join(cache, 'hub', 'test-org--musicgen-tiny-onnx', '.lock'))).toBe(false);
  });

  it('a lock left by a crashed process is taken over', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;
    const lock = join(cache, 'hub', 'test-org--musicgen-tiny-onnx', '.lock');
    mkdirSync(join(lock, '..'), { recursive: true });
    writeFileSync(lock, String(deadPid));
    const r = await fetchModel(ONNX_REPO, opts({ lockTimeoutMs: 2_000 }));
    expect(r.fromCache).toBe(false);
    expect(existsSync(lock)).toBe(false);
  });

  it('a response that goes silent is abandoned after the stall timeout and resumed with a Range request', async () => {
    const path = 'onnx/text_encoder.onnx_data';
    const data = onnxFiles.get(path) as Buffer;
    hub.stallOnce.set(path, 30_000);
    const r = await fetchModel(ONNX_REPO, opts({ stallTimeoutMs: 300 }));
    const cdnForFile = hub.requests.filter((q) => q.server === 'cdn' && q.url.includes(sha256(data)));
    expect(cdnForFile.map((q) => q.range)).toEqual([null, 'bytes=30000-']);
    expect(sha256(readFileSync(join(r.dir, path)))).toBe(sha256(data));
  });

  it('offline (HF_HUB_OFFLINE=1): the cache without any request, or NotInCacheError', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    const err = await fetchModel(ONNX_REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotInCacheError);
    expect((err as Error).message).toMatch(/not in the cache .*fetch it once while online/);
    delete process.env.HF_HUB_OFFLINE;
    await fetchModel(ONNX_REPO, opts());
    hub.requests.length = 0;
    const r = await fetchModel(ONNX_REPO, opts({ offline: true }));
    expect(r.fromCache).toBe(true);
    expect(hub.requests).toEqual([]);
  });

  it('a plain (non-LFS) file of the wrong size fails the size check and is deleted', async () => {
    hub.truncateOnce.add('generation_config.json');
    const err = await fetchModel(ONNX_REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toMatch(/generation_config\.json: got \d+ bytes where the hub announced \d+; the corrupt download was deleted/);
    const staged = join(cache, 'hub', 'test-org--musicgen-tiny-onnx', '.downloads', hub.commitOf(ONNX_REPO), 'generation_config.json');
    expect(existsSync(staged) || existsSync(`${staged}.incomplete`)).toBe(false);
  });

  it('a server that ignores Range (200) restarts the file from zero and still verifies', async () => {
    const path = 'onnx/decoder_model_merged.onnx';
    expect((onnxFiles.get(path) as Buffer).length).toBeGreaterThan(150_000); // or nothing is cut
    hub.dropOnce.set(path, 150_000);
    await fetchModel(ONNX_REPO, opts({ retries: 0 })).catch(() => undefined);
    hub.ignoreRange = true;
    const seen: number[] = [];
    const r = await fetchModel(ONNX_REPO, opts({ progress: (d) => seen.push(d) }));
    expect(sha256(readFileSync(join(r.dir, path)))).toBe(sha256(onnxFiles.get(path) as Buffer));
    // The discarded partial is taken back out of the progress, which ends at the total.
    const total = [...onnxFiles.values()].reduce((s, b) => s + b.length, 0);
    expect(seen.at(-1)).toBe(total);
    expect(Math.max(...seen)).toBe(total);
    expect(seen.some((d, i) => i > 0 && d < seen[i - 1])).toBe(true); // the partial was taken back
  });

  it('a dtype the repository lacks names the dtypes it has', async () => {
    const err = await fetchModel(ONNX_REPO, opts({ dtype: 'q8' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DtypeNotAvailableError);
    expect((err as Error).message).toMatch(/decoder_model_merged_quantized\.onnx.*fp32/);
    expect(hub.contentRequests()).toEqual([]);
  });
});

describe('hub errors', () => {
  it('404: RepoNotFoundError naming the repo and the expected id form', async () => {
    const err = await fetchModel('test-org/no-such-model', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepoNotFoundError);
    expect((err as Error).message).toMatch(/test-org\/no-such-model not found on 127\.0\.0\.1:\d+.*owner\/name.*HF_TOKEN/);
  });

  it('private repo without a token (401 RepoNotFound): RepoNotFoundError suggesting HF_TOKEN; with the token it downloads', async () => {
    const err = await fetchModel(PRIVATE_REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepoNotFoundError);
    expect((err as Error).message).toMatch(/HTTP 401.*if it is private, set HF_TOKEN/);
    const r = await fetchModel(PRIVATE_REPO, opts({ token: TOKEN }));
    expect(r.fromCache).toBe(false);
  });

  it('unknown revision: RevisionNotFoundError', async () => {
    const err = await fetchModel(ONNX_REPO, opts({ revision: 'v9' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionNotFoundError);
    expect((err as Error).message).toContain('"v9"');
  });

  it('401 gated repo: HubAuthError telling to set HF_TOKEN; with HF_TOKEN (and HF_ENDPOINT) it downloads, the token never reaching the CDN', async () => {
    // As on the hub, a gated repo's listing is public; its files are not.
    const err = await fetchModel(GATED_REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubAuthError);
    expect((err as Error).message).toMatch(/HTTP 401.*gated.*accept the model's terms at http:\/\/127\.0\.0\.1:\d+\/test-org\/gated-tiny.*set HF_TOKEN/);
    expect(hub.requests.some((q) => q.url.includes('/resolve/'))).toBe(true);

    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_TOKEN = 'hf_wrong_token';
    const refused = await fetchModel(GATED_REPO, { cacheDir: cache }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HubAuthError);
    expect((refused as Error).message).toMatch(/HF_TOKEN was sent but refused/);
    expect((refused as Error).message).not.toContain('hf_wrong_token');

    process.env.HF_TOKEN = TOKEN;
    hub.requests.length = 0;
    const r = await fetchModel(GATED_REPO, { cacheDir: cache });
    expect(r.fromCache).toBe(false);
    const hubSide = hub.requests.filter((q) => q.server === 'hub');
    expect(hubSide.length).toBeGreaterThan(3);
    expect(hubSide.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const cdn = hub.requests.filter((q) => q.server === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((q) => q.authorization === null)).toBe(true);
  });

  it('an unreachable host: HubNetworkError naming it; a cached folder is used offline instead', async () => {
    // A loopback port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const closed = `http://127.0.0.1:${port}`;
    const err = await fetchModel(ONNX_REPO, opts({ endpoint: closed })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubNetworkError);
    expect((err as Error).message).toMatch(new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} .*HF_ENDPOINT`));
    await fetchModel(ONNX_REPO, opts());
    const logs: string[] = [];
    const offline = await fetchModel(ONNX_REPO, opts({ endpoint: closed, log: (m) => logs.push(m) }));
    expect(offline.fromCache).toBe(true);
    expect(logs.join('\n')).toMatch(/unreachable; using the cached/);
  });

  it('a repository without MusicGen files: NoMusicgenFilesError listing what is there', async () => {
    const err = await fetchModel(EMPTY_REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoMusicgenFilesError);
    expect((err as Error).message).toMatch(/PyTorch \.bin.*found: README\.md, pytorch_model\.bin/);
    expect(existsSync(join(cache, 'hub'))).toBe(false);
  });
});

describe('a safetensors repository (facebook/musicgen-small style)', () => {
  it('is downloaded, converted into the cache, and gives the reference greedy codes', async () => {
    const logs: string[] = [];
    const r = await fetchModel(SAFETENSORS_REPO, opts({ log: (m) => logs.push(m) }));
    expect(r.source).toBe('safetensors');
    expect(logs.join('\n')).toMatch(/converting the safetensors checkpoint/);
    const files = listTree(r.dir);
    expect(files).toEqual(expect.arrayContaining(['config.json', 'onnx/decoder_model_kvbuffer.onnx', 'onnx/text_encoder.onnx', 'onnx/encodec_decode_frames.onnx', 'onnx/encodec_decode_upsample.onnx']));
    // The checkpoint itself is not kept, and no staging or temp folder is left.
    expect(files).not.toContain('model.safetensors');
    expect(readdirSync(join(cache, 'hub', 'test-org--musicgen-tiny'))).toEqual(['main']);

    const mg = await MusicGen.load(r.dir, { threads: 1 });
    const ids = fixtureI64('musicgen-tiny', 'text.input_ids');
    const mask = fixtureI64('musicgen-tiny', 'text.attention_mask');
    const [B, T] = ids.shape;
    const rows = (d: number[]): number[][] => Array.from({ length: B }, (_, b) => d.slice(b * T, (b + 1) * T));
    const out = await mg.generate({ inputIds: rows(ids.data), attentionMask: rows(mask.data) }, { params: { useSampling: false, cfgCoef: 3, frames: 17 } });
    const flat = out.codes.flatMap((item) => item.flatMap((row) => Array.from(row)));
    expect(flat).toEqual(fixtureI64('musicgen-tiny', 'gen_cfg3.codes').data);

    hub.requests.length = 0;
    const again = await fetchModel(SAFETENSORS_REPO, opts());
    expect(again.fromCache).toBe(true);
    expect(hub.contentRequests()).toEqual([]);

    // Another dtype of the same commit joins the folder; the fp32 decoder stays.
    const q8 = await fetchModel(SAFETENSORS_REPO, opts({ dtype: 'q8' }));
    expect(q8.fromCache).toBe(false);
    expect(q8.dir).toBe(r.dir);
    expect(listTree(r.dir)).toEqual(expect.arrayContaining(['onnx/decoder_model_kvbuffer.onnx', 'onnx/decoder_model_kvbuffer_quantized.onnx']));
    expect(JSON.parse(readFileSync(join(r.dir, '.musicgen-hub.json'), 'utf8')).dtypes).toEqual(['fp32', 'q8']);
    expect((await fetchModel(SAFETENSORS_REPO, opts())).fromCache).toBe(true);
    await MusicGen.load(r.dir, { dtype: 'q8', threads: 1 });
  });
});
