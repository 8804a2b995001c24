import { hubEndpoint, hubToken } from './endpoint.js';
import {
  HubAuthError,
  HubNetworkError,
  HubResponseError,
  RepoNotFoundError,
  RevisionNotFoundError,
} from './errors.js';
import { repoIdOf, type RepoRef } from './repoId.js';

/** One file of a repository at a commit, as the tree API describes it. */
export interface RepoFileEntry {
  path: string;
  /** Bytes of the real content (for LFS files, not of the pointer); null when the hub gave none. */
  size: number | null;
  /** sha256 of the content: the LFS oid. Plain git files only get a size check. */
  sha256: string | null;
  /** Git blob id: changes whenever the file (or its LFS pointer) changes between commits. */
  blobId: string | null;
}

export interface RevisionInfo {
  /** The commit the revision points at now. */
  commit: string;
  files: RepoFileEntry[];
}

export interface HubClientOptions {
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Default: HF_TOKEN. Sent only to the endpoint's own origin, never to redirect targets elsewhere. */
  token?: string | null;
  /** Metadata requests give up after this long (default 60 s). */
  metadataTimeoutMs?: number;
}

/** A file response opened at a byte offset, after redirects. */
export interface OpenedFile {
  response: Response;
  /** The URL that finally answered (after redirects), for messages. */
  url: string;
}

const MAX_REDIRECTS = 5;
/** The tree API pages its listing; MusicGen repos fit in one or two pages. */
const MAX_TREE_PAGES = 100;

interface TreeEntryJson {
  type: string;
  path: string;
  oid?: string;
  size?: number;
  lfs?: { oid?: string; size?: number };
}

function isTreeEntry(v: unknown): v is TreeEntryJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.type === 'string' && typeof o.path === 'string';
}

/** Next page from a `Link: <url>; rel="next"` header (the tree API's pagination). */
function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (m) return m[1];
  }
  return null;
}

/** The system's reason for a fetch failure (ECONNREFUSED, UND_ERR_SOCKET, …). */
function failureReason(e: unknown): string {
  // fetch wraps the socket error (TypeError "fetch failed" -> cause {code}); we may wrap once more.
  let err = e as { cause?: unknown; code?: unknown; message?: unknown } | null;
  for (let depth = 0; depth < 4 && err; depth++) {
    if (typeof err.code === 'string') return err.code;
    const next = err.cause as typeof err | undefined;
    if (!next) break;
    err = next;
  }
  return typeof err?.message === 'string' ? err.message : String(e);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The few calls of the Hugging Face hub HTTP API that downloading a model needs: resolve a
 * revision to a commit with its file list, and open a file (following the hub's redirects to its
 * LFS/CDN storage) at a byte offset.
 */
export class HubClient {
  readonly endpoint: string;
  private readonly origin: string;
  private readonly token: string | null;
  private readonly metadataTimeoutMs: number;

  constructor(opts: HubClientOptions = {}) {
    this.endpoint = (opts.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
    try {
      this.origin = new URL(this.endpoint).origin;
    } catch {
      throw new HubNetworkError(`hub endpoint "${this.endpoint}" is not a URL; fix HF_ENDPOINT (e.g. https://huggingface.co)`);
    }
    this.token = opts.token === undefined ? hubToken() : opts.token;
    this.metadataTimeoutMs = opts.metadataTimeoutMs ?? 60_000;
  }

  /** Host name for messages ("huggingface.co", "127.0.0.1:5123"). */
  get host(): string {
    return new URL(this.endpoint).host;
  }

  get hasToken(): boolean {
    return this.token !== null;
  }

  /** The commit a revision points at, and every file there with size and sha256 where known. */
  async revisionInfo(ref: RepoRef): Promise<RevisionInfo> {
    const repo = repoIdOf(ref);
    const what = `${repo}@${ref.revision}`;
    const infoUrl = `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(ref.revision)}`;
    const info = await this.getJson(infoUrl, ref, what);
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
      throw new HubResponseError(`${this.host} answered ${infoUrl} without a commit sha; is HF_ENDPOINT a Hugging Face hub?`);
    }
    const files = await this.listTree(ref, sha, what);
    return { commit: sha, files };
  }

  /** Recursive tree listing at a commit (sizes and LFS sha256), following Link pagination. */
  private async listTree(ref: RepoRef, commit: string, what: string): Promise<RepoFileEntry[]> {
    const files: RepoFileEntry[] = [];
    let url: string | null = `${this.endpoint}/api/models/${repoIdOf(ref)}/tree/${commit}?recursive=true`;
    for (let page = 0; url !== null; page++) {
      if (page >= MAX_TREE_PAGES) throw new HubResponseError(`${what}: the file listing has more than ${MAX_TREE_PAGES} pages`);
      const { body, response } = await this.getJsonWithResponse(url, ref, what);
      if (!Array.isArray(body)) throw new HubResponseError(`${this.host}: tree listing of ${what} is not a JSON array`);
      for (const entry of body) {
        if (!isTreeEntry(entry) || entry.type !== 'file') continue;
        const lfsOid = entry.lfs && typeof entry.lfs.oid === 'string' && /^[0-9a-f]{64}$/.test(entry.lfs.oid) ? entry.lfs.oid : null;
        const size = typeof entry.size === 'number' ? entry.size : typeof entry.lfs?.size === 'number' ? entry.lfs.size : null;
        const blobId = typeof entry.oid === 'string' ? entry.oid : null;
        files.push({ path: entry.path, size, sha256: lfsOid, blobId });
      }
      const next = nextLink(response.headers.get('link'));
      url = next ? new URL(next, url).toString() : null;
    }
    return files;
  }

  /**
   * GET {endpoint}/{repo}/resolve/{commit}/{path}, from byte `start` on (a Range request) when
   * start > 0. Redirects are followed by hand so the token never leaves the hub's origin.
   */
  async openFile(ref: RepoRef, commit: string, path: string, start: number, signal?: AbortSignal): Promise<OpenedFile> {
    let url = `${this.endpoint}/${repoIdOf(ref)}/resolve/${commit}/${encodePath(path)}`;
    const what = `${repoIdOf(ref)}/${path}`;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { ...this.authFor(url), 'accept-encoding': 'identity' };
      if (start > 0) headers.range = `bytes=${start}-`;
      const response = await this.send(url, { headers, redirect: 'manual', signal });
      if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location');
        await response.body?.cancel();
        if (!location) throw new HubResponseError(`${this.host} redirected ${what} without a Location header`);
        url = new URL(location, url).toString();
        continue;
      }
      if (response.ok || response.status === 416) return { response, url };
      throw await this.statusError(response, ref, what);
    }
    throw new HubResponseError(`${what}: more than ${MAX_REDIRECTS} redirects from ${this.host}`);
  }

  private authFor(url: string): Record<string, string> {
    if (!this.token) return {};
    // Signed CDN URLs must not receive the token (and S3-style stores reject a second auth).
    return new URL(url).origin === this.origin ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async getJson(url: string, ref: RepoRef, what: string): Promise<unknown> {
    return (await this.getJsonWithResponse(url, ref, what)).body;
  }

  private async getJsonWithResponse(url: string, ref: RepoRef, what: string): Promise<{ body: unknown; response: Response }> {
    const response = await this.send(url, {
      headers: { ...this.authFor(url), accept: 'application/json' },
      signal: AbortSignal.timeout(this.metadataTimeoutMs),
    });
    if (!response.ok) throw await this.statusError(response, ref, what);
    try {
      return { body: await response.json(), response };
    } catch (e) {
      throw new HubResponseError(`${this.host} answered ${url} with invalid JSON (${(e as Error).message})`);
    }
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (e) {
      throw this.networkError(url, e);
    }
  }

  /** A fetch failure as a HubNetworkError naming the host and the system's reason. */
  networkError(url: string, e: unknown): HubNetworkError {
    return new HubNetworkError(
      `cannot reach ${new URL(url).host} (${failureReason(e)}); check the network connection, or set HF_ENDPOINT to a reachable mirror`,
      { cause: e },
    );
  }

  /** A download whose connection kept breaking: what is kept and how to go on. */
  brokenDownloadError(url: string, e: unknown, file: string, keptBytes: number, partial: string): HubNetworkError {
    return new HubNetworkError(
      `the connection to ${new URL(url).host} broke while downloading ${file} (${failureReason(e)}); ` +
        `${keptBytes} bytes are kept in ${partial}: run again to resume`,
      { cause: e },
    );
  }

  private async statusError(response: Response, ref: RepoRef, what: string): Promise<Error> {
    const code = response.headers.get('x-error-code') ?? '';
    const serverMessage = (response.headers.get('x-error-message') ?? (await response.text().catch(() => ''))).slice(0, 200);
    await response.body?.cancel().catch(() => undefined);
    const repo = repoIdOf(ref);
    const page = `${this.endpoint}/${repo}`;
    const status = response.status;
    if (status === 404 && code === 'RevisionNotFound') {
      return new RevisionNotFoundError(`${repo} has no revision "${ref.revision}" on ${this.host}; give an existing branch, tag or commit sha`);
    }
    if (status === 404 && code === 'EntryNotFound') {
      return new HubResponseError(`${what} is listed at this revision but ${this.host} does not serve it (404); try again later`);
    }
    if (status === 404 || code === 'RepoNotFound') {
      const tokenHint = this.hasToken
        ? 'the HF_TOKEN sent has no access to it if it is private'
        : 'if it is private, set HF_TOKEN to an access token with read access';
      return new RepoNotFoundError(`repository ${repo} not found on ${this.host} (HTTP ${status}); check the id (owner/name, e.g. Xenova/musicgen-small); ${tokenHint}`);
    }
    if (status === 401 || status === 403) {
      const gated = code === 'GatedRepo' ? 'gated' : 'gated or private';
      const fix = this.hasToken
        ? `HF_TOKEN was sent but refused: check the token is valid with read access, and that its account accepted the model's terms at ${page}`
        : `accept the model's terms at ${page} if it asks, then set HF_TOKEN to an access token (${this.endpoint}/settings/tokens)`;
      return new HubAuthError(`${what}: ${this.host} refused access (HTTP ${status}): the repository is ${gated}; ${fix}`);
    }
    const detail = serverMessage ? `: ${serverMessage}` : '';
    return new HubResponseError(`${this.host} answered HTTP ${status} for ${what}${detail}; try again later`);
  }
}
