import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { convertCheckpoint } from '../convert/modelFolder.js';
import { cacheDir as defaultCacheDir } from '../cacheDir.js';
import { acquireCacheLock } from './cacheLock.js';
import { cachedFolderHolds, readManifest, writeManifest, type CacheManifest } from './cacheManifest.js';
import { planDownload, SAFETENSORS_INDEX, shardFiles, checkDtype, type DownloadPlan } from './downloadPlan.js';
import { HubNetworkError, NoMusicgenFilesError, NotInCacheError } from './errors.js';
import { addFastDecoder } from './fastDecoder.js';
import { mapCachedDecoder } from './mapCachedDecoder.js';
import { downloadFile } from './fileDownload.js';
import { HubClient, type RepoFileEntry, type RevisionInfo } from './hubClient.js';
import { isCommitSha, parseRepoRef, repoFolderName, repoIdOf, revisionFolderName, type RepoRef } from './repoId.js';

/** (bytes done, bytes total, repository path of the file being downloaded). */
export type DownloadProgress = (bytesDone: number, bytesTotal: number, file: string) => void;

export interface FetchModelOptions {
  /** Precision to fetch (suffixes: docs/MODEL_FORMAT.md): fp32 (default), q8, fp16, … */
  dtype?: string;
  /** Branch, tag or commit sha (default "main"). */
  revision?: string;
  /** Cache root (default MUSICGEN_CACHE_DIR, else ~/.cache/musicgen-ts); models go to <root>/hub/. */
  cacheDir?: string;
  /** Hub URL (default HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Access token (default HF_TOKEN); null sends none. */
  token?: string | null;
  progress?: DownloadProgress;
  /** One-line stage messages: cache hits, offline fallback, conversion. */
  log?: (message: string) => void;
  /** Range-resume attempts per file after a broken connection (default 3). */
  retries?: number;
  /** A download delivering nothing for this long is aborted and resumed (default 60 s). */
  stallTimeoutMs?: number;
  /** How long to wait for another process fetching the same repository (default 30 min). */
  lockTimeoutMs?: number;
  /** Use the cache only, never the network (default: HF_HUB_OFFLINE=1, as huggingface_hub reads it). */
  offline?: boolean;
}

export interface FetchedModel {
  /** The local model folder, ready for MusicGen.load(dir, {dtype}). */
  dir: string;
  repoId: string;
  revision: string;
  commit: string;
  dtype: string;
  /** 'safetensors': the repository held a checkpoint, converted to ONNX after download. */
  source: 'onnx' | 'safetensors';
  /** True when nothing was downloaded. */
  fromCache: boolean;
  downloadedBytes: number;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/** <cache>/hub/<owner>--<name>: the revision folders, plus .downloads/<commit>/ staging. */
function repoCacheRoot(ref: RepoRef, root: string): string {
  return join(root, 'hub', repoFolderName(ref));
}

function cachedResult(ref: RepoRef, dir: string, manifest: CacheManifest, dtype: string): FetchedModel {
  return {
    dir,
    repoId: repoIdOf(ref),
    revision: ref.revision,
    commit: manifest.commit,
    dtype,
    source: manifest.source,
    fromCache: true,
    downloadedBytes: 0,
  };
}

/**
 * Downloads what a MusicGen model folder needs for one dtype from a hub repository into the cache
 * (<cache>/hub/<owner>--<name>/<revision>/), or reuses the cached folder when it already holds
 * that dtype at the revision's current commit. A repository with a safetensors checkpoint and no
 * onnx/ folder is converted after download. The folder only ever receives complete, verified
 * files; a new commit is assembled beside it and swapped in.
 */
export async function fetchModel(repoId: string, opts: FetchModelOptions = {}): Promise<FetchedModel> {
  const ref = parseRepoRef(repoId, opts.revision ?? 'main');
  const dtype = checkDtype(opts.dtype ?? 'fp32');
  const log = opts.log ?? ((): void => undefined);
  const root = repoCacheRoot(ref, opts.cacheDir ?? defaultCacheDir());
  const modelDir = join(root, revisionFolderName(ref.revision));
  const label = `${repoId}@${ref.revision}`;
  const fromCache = async (manifest: CacheManifest): Promise<FetchedModel> =>
    cachedResult(ref, modelDir, await mapCachedDecoder(modelDir, manifest, dtype, join(root, '.lock'), label, log), dtype);

  // A commit sha never moves: a folder holding it needs no request at all.
  if (isCommitSha(ref.revision)) {
    const cached = cachedFolderHolds(modelDir, dtype, ref.revision);
    if (cached) return fromCache(cached);
  }
  if (opts.offline ?? isTruthy(process.env.HF_HUB_OFFLINE)) {
    const cached = cachedFolderHolds(modelDir, dtype, isCommitSha(ref.revision) ? ref.revision : null);
    if (cached) return fromCache(cached);
    throw new NotInCacheError(
      `offline (HF_HUB_OFFLINE or offline: true) and ${repoId}@${ref.revision} (${dtype}) is not in the cache at ${modelDir}; fetch it once while online`,
    );
  }
  const client = new HubClient({ endpoint: opts.endpoint, token: opts.token });
  let info: RevisionInfo;
  try {
    info = await client.revisionInfo(ref);
  } catch (e) {
    const cached = e instanceof HubNetworkError ? cachedFolderHolds(modelDir, dtype, null) : null;
    if (!cached) throw e;
    log(`${client.host} unreachable; using the cached ${repoId}@${ref.revision} (commit ${cached.commit.slice(0, 8)})`);
    return fromCache(cached);
  }
  const cached = cachedFolderHolds(modelDir, dtype, info.commit);
  if (cached) {
    log(`${repoId}@${ref.revision} (${dtype}) is up to date in ${modelDir}`);
    return fromCache(cached);
  }

  // Planned before locking: a repo without MusicGen files leaves nothing behind in the cache.
  const plan = planDownload(label, info.files, dtype);
  const release = await acquireCacheLock(join(root, '.lock'), label, { timeoutMs: opts.lockTimeoutMs });
  try {
    // Another process may have fetched it while we waited for the lock.
    const fetchedMeanwhile = cachedFolderHolds(modelDir, dtype, info.commit);
    if (fetchedMeanwhile) return cachedResult(ref, modelDir, fetchedMeanwhile, dtype);
    return await download(ref, info, plan, root, modelDir, client, opts);
  } finally {
    release();
  }
}

/** The download, install and (for checkpoints) conversion, under the repository's lock. */
async function download(
  ref: RepoRef,
  info: RevisionInfo,
  plan: DownloadPlan,
  root: string,
  modelDir: string,
  client: HubClient,
  opts: FetchModelOptions,
): Promise<FetchedModel> {
  const repoId = repoIdOf(ref);
  const label = `${repoId}@${ref.revision}`;
  const log = opts.log ?? ((): void => undefined);
  const dtype = plan.dtype;
  const staging = join(root, '.downloads', info.commit);
  let done = 0;
  let total = 0;
  let downloaded = 0;
  const previous = readManifest(modelDir);
  const fetchAll = async (files: RepoFileEntry[]): Promise<void> => {
    for (const file of files) {
      const dest = join(staging, file.path);
      if (!existsSync(dest)) reuseUnchanged(file, modelDir, previous, dest);
      if (existsSync(dest)) {
        // Verified in an earlier run that stopped before installing, or unchanged since the cached commit.
        done += statSync(dest).size;
        opts.progress?.(done, Math.max(total, done), file.path);
        continue;
      }
      await downloadFile(client, ref, info.commit, file, dest, {
        retries: opts.retries,
        stallTimeoutMs: opts.stallTimeoutMs,
        onBytes: (delta) => {
          done += delta;
          downloaded += Math.max(0, delta);
          opts.progress?.(done, Math.max(total, done), file.path);
        },
      });
    }
  };
  const sizeOf = (files: RepoFileEntry[]): number => files.reduce((s, f) => s + (f.size ?? 0), 0);

  let files = plan.files;
  if (plan.source === 'safetensors' && plan.index) {
    total = sizeOf(files) + (plan.index.size ?? 0);
    await fetchAll([plan.index]);
    let indexJson: unknown;
    try {
      indexJson = JSON.parse(readFileSync(join(staging, SAFETENSORS_INDEX), 'utf8'));
    } catch (e) {
      throw new NoMusicgenFilesError(`${label}: ${SAFETENSORS_INDEX} is not valid JSON (${(e as Error).message})`);
    }
    files = [plan.index, ...files, ...shardFiles(label, indexJson, info.files)];
  }
  total = sizeOf(files);
  opts.progress?.(done, total, files[0]?.path ?? '');
  await fetchAll(files);

  const manifest: CacheManifest = {
    repoId,
    revision: ref.revision,
    commit: info.commit,
    source: plan.source,
    dtypes: [dtype],
    files: {},
    // Only downloaded folders: a converted folder's files are not the repository's files.
    blobIds: plan.source === 'onnx' ? Object.fromEntries(plan.files.flatMap((f) => (f.blobId ? [[f.path, f.blobId]] : []))) : {},
  };
  if (plan.source === 'onnx') {
    const built = addFastDecoder(staging, dtype, log);
    installFolder(staging, [...plan.files.map((f) => f.path), ...built], modelDir, manifest, root);
  } else {
    convertAndInstall(plan, staging, files, modelDir, manifest, root, log);
  }
  rmSync(staging, { recursive: true, force: true });
  removeIfEmpty(dirname(staging));
  log(`${label} (${dtype}) is in ${modelDir}`);
  return {
    dir: modelDir,
    repoId,
    revision: ref.revision,
    commit: info.commit,
    dtype,
    source: plan.source,
    fromCache: false,
    downloadedBytes: downloaded,
  };
}

/**
 * A file whose git blob id equals the one in the cached folder of an older commit is linked (or
 * copied) into staging instead of downloaded again: a README edit on main costs no gigabytes.
 */
function reuseUnchanged(file: RepoFileEntry, modelDir: string, previous: CacheManifest | null, dest: string): void {
  if (!file.blobId || previous?.source !== 'onnx' || previous.blobIds?.[file.path] !== file.blobId) return;
  const cached = join(modelDir, file.path);
  if (!existsSync(cached) || statSync(cached).size !== file.size) return;
  mkdirSync(dirname(dest), { recursive: true });
  try {
    linkSync(cached, dest);
  } catch {
    copyFileSync(cached, dest);
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Another process may be using it; an empty folder is harmless.
  }
}

function convertAndInstall(
  plan: DownloadPlan,
  staging: string,
  files: RepoFileEntry[],
  modelDir: string,
  manifest: CacheManifest,
  root: string,
  log: (message: string) => void,
): void {
  const converted = join(root, `.convert-${process.pid}-${Date.now()}`);
  log(`converting the safetensors checkpoint (${files.length} files) to an ONNX model folder (${plan.dtype})`);
  try {
    const result = convertCheckpoint(staging, converted, {
      dtype: plan.dtype,
      force: true,
      progress: (done, total, stage) => {
        if (done < total) log(`converting ${done + 1}/${total}: ${stage}`);
      },
    });
    installFolder(converted, result.files, modelDir, manifest, root);
  } finally {
    rmSync(converted, { recursive: true, force: true });
  }
}

/**
 * Moves complete files from `from` into the model folder. Same commit already cached (another
 * dtype): the new files are renamed in and the manifest extended, written last. Otherwise the
 * folder is built beside the old one and swapped in, so a reader never sees a mix of commits.
 */
function installFolder(from: string, relPaths: string[], modelDir: string, manifest: CacheManifest, root: string): void {
  const sizes: Record<string, number> = {};
  for (const rel of relPaths) sizes[rel] = statSync(join(from, rel)).size;
  const moveAll = (to: string): void => {
    for (const rel of relPaths) {
      mkdirSync(dirname(join(to, rel)), { recursive: true });
      renameSync(join(from, rel), join(to, rel));
    }
  };
  const existing = readManifest(modelDir);
  if (existing && existing.commit === manifest.commit && existing.source === manifest.source) {
    moveAll(modelDir);
    writeManifest(modelDir, {
      ...existing,
      dtypes: [...new Set([...existing.dtypes, ...manifest.dtypes])].sort(),
      files: { ...existing.files, ...sizes },
      blobIds: { ...existing.blobIds, ...manifest.blobIds },
    });
    return;
  }
  const fresh = join(root, `.assemble-${process.pid}-${Date.now()}`);
  try {
    moveAll(fresh);
    writeManifest(fresh, { ...manifest, files: sizes });
    if (existsSync(modelDir)) {
      const old = join(root, `.old-${process.pid}-${Date.now()}`);
      renameSync(modelDir, old);
      renameSync(fresh, modelDir);
      rmSync(old, { recursive: true, force: true });
    } else {
      mkdirSync(dirname(modelDir), { recursive: true });
      renameSync(fresh, modelDir);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}
