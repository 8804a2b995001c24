import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MusicgenError } from '../errors.js';
import { ChecksumMismatchError, HubNetworkError, HubResponseError } from './errors.js';
import type { HubClient, RepoFileEntry } from './hubClient.js';
import type { RepoRef } from './repoId.js';

export const INCOMPLETE_SUFFIX = '.incomplete';

export interface FileDownloadOptions {
  /** Bytes written since the last call; negative when a partial file had to be discarded. */
  onBytes?: (delta: number) => void;
  /** Extra attempts after a broken connection, each resuming with a Range request (default 3). */
  retries?: number;
  /** Abort a response that delivers nothing for this long (default 60 s), then resume. */
  stallTimeoutMs?: number;
}

/** Content-Range "bytes a-b/total" -> a (and total when given). */
function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!m) return null;
  return { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

/** A URL for messages: signed CDN query strings are left out. */
function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads one repository file to `dest`. Bytes go to `dest.incomplete`, which survives a broken
 * connection or a killed process and is continued with a Range request; the file is renamed to
 * `dest` only after its sha256 (LFS files) or size (plain files) matched. A mismatch deletes it.
 */
export async function downloadFile(
  client: HubClient,
  ref: RepoRef,
  commit: string,
  file: RepoFileEntry,
  dest: string,
  opts: FileDownloadOptions = {},
): Promise<void> {
  if (existsSync(dest)) return;
  const partial = dest + INCOMPLETE_SUFFIX;
  mkdirSync(dirname(partial), { recursive: true });
  const retries = opts.retries ?? 3;
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  const report = (delta: number): void => {
    if (delta !== 0) opts.onBytes?.(delta);
  };
  const discardPartial = (): void => {
    report(-fileSize(partial));
    rmSync(partial, { force: true });
  };
  let expectedSize = file.size;
  // Bytes kept from an earlier run count as done from the start.
  report(fileSize(partial));

  let complete = false;
  // Bounded: every pass either finishes, or uses up one retry (a discarded partial included).
  for (let attempt = 0; attempt <= retries + 1 && !complete; attempt++) {
    let start = fileSize(partial);
    if (expectedSize !== null && start > expectedSize) {
      discardPartial();
      start = 0;
    }
    if (expectedSize !== null && start === expectedSize && start > 0) {
      complete = true;
      break;
    }

    const controller = new AbortController();
    let stall: NodeJS.Timeout | undefined;
    const armStall = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(), stallMs);
    };
    let lastUrl = client.endpoint;
    try {
      armStall();
      const { response, url } = await client.openFile(ref, commit, file.path, start, controller.signal);
      lastUrl = url;
      if (response.status === 416) {
        // The partial file does not fit the server's copy any more: start over.
        await response.body?.cancel();
        if (start === 0) throw new HubResponseError(`${shownUrl(url)}: the server refused a plain download with 416`);
        discardPartial();
        continue;
      }
      let append = false;
      if (response.status === 206) {
        const range = parseContentRange(response.headers.get('content-range'));
        if (!range || range.start !== start) {
          await response.body?.cancel();
          discardPartial();
          throw new HubResponseError(`${shownUrl(url)}: asked for bytes from ${start}, got Content-Range "${response.headers.get('content-range')}"`);
        }
        if (range.total !== null) expectedSize ??= range.total;
        append = true;
      } else {
        // 200: the whole file (a server that ignores Range). Drop what we had.
        if (start > 0) discardPartial();
        const length = response.headers.get('content-length');
        if (length !== null && expectedSize === null) expectedSize = Number(length);
      }
      const handle = await open(partial, append ? 'a' : 'w');
      try {
        if (response.body) {
          for await (const chunk of response.body) {
            armStall();
            await handle.write(chunk);
            report(chunk.byteLength);
          }
        }
      } finally {
        await handle.close();
      }
      clearTimeout(stall);
      complete = true;
    } catch (e) {
      clearTimeout(stall);
      if (!isRetryable(e)) throw e;
      if (attempt >= retries) {
        throw client.brokenDownloadError(lastUrl, e, file.path, fileSize(partial), partial);
      }
      // Back off a little before resuming: a flaky link often needs a moment.
      await sleep(Math.min(250 * 2 ** attempt, 5_000));
    }
  }

  if (!complete) throw new HubResponseError(`${file.path}: the server kept refusing to resume the download; delete ${partial} and run again`);
  await verify(file, partial, expectedSize, () => discardPartial());
  renameSync(partial, dest);
}

/**
 * Broken connections, resets and stalls (fetch's TypeError, AbortError) are worth a Range retry;
 * typed hub errors (404, 401 …) and local file-system errors (ENOSPC, EACCES) are not.
 */
function isRetryable(e: unknown): boolean {
  if (e instanceof HubNetworkError) return true;
  if (e instanceof MusicgenError) return false;
  return (e as NodeJS.ErrnoException | null)?.syscall === undefined;
}

async function verify(file: RepoFileEntry, partial: string, expectedSize: number | null, discard: () => void): Promise<void> {
  const size = fileSize(partial);
  if (file.sha256) {
    const actual = await sha256OfFile(partial);
    if (actual !== file.sha256) {
      discard();
      throw new ChecksumMismatchError(
        `${file.path}: sha256 ${actual} differs from the hub's ${file.sha256}; the corrupt download was deleted, run again to download it afresh`,
      );
    }
  } else if (expectedSize !== null && size !== expectedSize) {
    discard();
    throw new ChecksumMismatchError(
      `${file.path}: got ${size} bytes where the hub announced ${expectedSize}; the corrupt download was deleted, run again to download it afresh`,
    );
  }
}
