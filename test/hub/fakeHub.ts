import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

/**
 * A stand-in for huggingface.co on 127.0.0.1: the revision and tree APIs, `resolve` downloads
 * (plain files served directly, LFS files redirected to a second "CDN" server on another port,
 * i.e. another origin) with Range support, 401/404 answers with the hub's X-Error-Code header,
 * and fault injection (a connection dropped mid-file, a corrupted body).
 */

export interface FakeRepo {
  files: Map<string, Buffer>;
  /** Commit sha of "main" (default: derived from the repo id). */
  commit?: string;
  /**
   * Access control as the hub does it. gated: metadata is public, file downloads without
   * `Authorization: Bearer <token>` get 401 GatedRepo. private: everything gets 401 RepoNotFound
   * (the hub does not reveal that a private repo exists).
   */
  access?: { kind: 'gated' | 'private'; token: string };
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  authorization: string | null;
  range: string | null;
}

interface LfsObject {
  data: Buffer;
  sha256: string;
}

/** Files the hub stores in LFS: weights, and anything big. */
export function isLfs(path: string, data: Buffer): boolean {
  return /\.(onnx|onnx_data|safetensors|bin)$/.test(path) || data.length > 1_000_000;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Git's blob id (what the tree API calls oid). */
function gitBlobSha1(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** Every file under a folder, keyed by '/'-separated relative path. */
export function filesOfFolder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  /** Repository path -> bytes sent before the connection is cut, on the next content request only. */
  readonly dropOnce = new Map<string, number>();
  /** Repository paths whose next content response has one byte flipped. */
  readonly corruptOnce = new Set<string>();
  /** Repository paths whose next content response is cut short (a consistent, shorter body). */
  readonly truncateOnce = new Set<string>();
  /** Repository path -> bytes sent before the response goes silent (connection left open). */
  readonly stallOnce = new Map<string, number>();
  /** Answer Range requests with the whole file (200), as some proxies do. */
  ignoreRange = false;
  /** Tree API page size (small, so pagination through Link headers is exercised). */
  pageSize = 4;
  private readonly lfs = new Map<string, LfsObject & { path: string }>();

  private constructor(
    private readonly repos: Map<string, FakeRepo>,
    private readonly hub: Server,
    private readonly cdn: Server,
    readonly endpoint: string,
    readonly cdnOrigin: string,
  ) {
    for (const repo of repos.values()) this.indexLfs(repo);
  }

  /** Replaces a repository's content (e.g. a new commit on main). */
  setRepo(repoId: string, repo: FakeRepo): void {
    this.repos.set(repoId, repo);
    this.indexLfs(repo);
  }

  private indexLfs(repo: FakeRepo): void {
    for (const [path, data] of repo.files) {
      if (isLfs(path, data)) this.lfs.set(sha256(data), { data, sha256: sha256(data), path });
    }
  }

  static async start(repos: Record<string, FakeRepo>): Promise<FakeHub> {
    let self: FakeHub | null = null;
    const hub = createServer((req, res) => self?.handleHub(req, res));
    const cdn = createServer((req, res) => self?.handleCdn(req, res));
    const [hubPort, cdnPort] = await Promise.all([listen(hub), listen(cdn)]);
    self = new FakeHub(new Map(Object.entries(repos)), hub, cdn, `http://127.0.0.1:${hubPort}`, `http://127.0.0.1:${cdnPort}`);
    return self;
  }

  commitOf(repoId: string): string {
    const repo = this.repos.get(repoId);
    return repo?.commit ?? createHash('sha1').update(`commit of ${repoId}`).digest('hex');
  }

  /** Requests that transferred file contents (resolve or CDN), as opposed to API metadata. */
  contentRequests(): LoggedRequest[] {
    return this.requests.filter((r) => r.server === 'cdn' || r.url.includes('/resolve/'));
  }

  async close(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  private log(server: 'hub' | 'cdn', req: IncomingMessage): void {
    this.requests.push({
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      authorization: req.headers.authorization ?? null,
      range: req.headers.range ?? null,
    });
  }

  private handleHub(req: IncomingMessage, res: ServerResponse): void {
    this.log('hub', req);
    const url = new URL(req.url ?? '/', this.endpoint);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = api?.[1] ?? resolve?.[1];
    const repo = repoId ? this.repos.get(repoId) : undefined;
    if (!repoId || !repo) return this.error(res, 404, 'RepoNotFound', 'Repository not found');
    const authorised = !repo.access || req.headers.authorization === `Bearer ${repo.access.token}`;
    if (!authorised && repo.access?.kind === 'private') return this.error(res, 401, 'RepoNotFound', 'Repository not found');
    if (!authorised && resolve) return this.error(res, 401, 'GatedRepo', 'Access to this model is restricted');
    const revision = decodeURIComponent((api?.[3] ?? resolve?.[2]) as string);
    const commit = this.commitOf(repoId);
    if (revision !== 'main' && revision !== commit) return this.error(res, 404, 'RevisionNotFound', 'Invalid rev id');
    if (api?.[2] === 'revision') {
      const siblings = [...repo.files.keys()].map((rfilename) => ({ rfilename }));
      return this.json(res, { _id: 'x', id: repoId, modelId: repoId, sha: commit, private: false, gated: repo.access?.kind === 'gated' ? 'auto' : false, siblings });
    }
    if (api?.[2] === 'tree') return this.tree(res, url, repo);
    const path = (resolve?.[3] as string).split('/').map(decodeURIComponent).join('/');
    const data = repo.files.get(path);
    if (!data) return this.error(res, 404, 'EntryNotFound', `${path} does not exist`);
    res.setHeader('x-repo-commit', commit);
    if (isLfs(path, data)) {
      // The real hub sends LFS files to a signed CDN URL on another host.
      res.writeHead(302, { location: `${this.cdnOrigin}/lfs/${sha256(data)}?X-Amz-Signature=fake` });
      res.end();
      return;
    }
    res.setHeader('etag', `"${gitBlobSha1(data)}"`);
    this.content(req, res, path, data);
  }

  private handleCdn(req: IncomingMessage, res: ServerResponse): void {
    this.log('cdn', req);
    const m = /^\/lfs\/([0-9a-f]{64})$/.exec(new URL(req.url ?? '/', this.cdnOrigin).pathname);
    const obj = m ? this.lfs.get(m[1]) : undefined;
    if (!obj) {
      res.writeHead(404).end();
      return;
    }
    this.content(req, res, obj.path, obj.data);
  }

  private tree(res: ServerResponse, url: URL, repo: FakeRepo): void {
    const dirs = new Set<string>();
    for (const p of repo.files.keys()) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    const entries: object[] = [...dirs].map((path) => ({ type: 'directory', oid: gitBlobSha1(Buffer.from(path)), size: 0, path }));
    for (const [path, data] of repo.files) {
      const entry: Record<string, unknown> = { type: 'file', oid: gitBlobSha1(data), size: data.length, path };
      if (isLfs(path, data)) entry.lfs = { oid: sha256(data), size: data.length, pointerSize: 134 };
      entries.push(entry);
    }
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + this.pageSize);
    if (cursor + this.pageSize < entries.length) {
      const next = new URL(url.toString());
      next.searchParams.set('cursor', String(cursor + this.pageSize));
      res.setHeader('link', `<${next.toString()}>; rel="next"`);
    }
    this.json(res, page);
  }

  /** 200, or 206 for `Range: bytes=N-`, or 416 past the end; with the injected faults. */
  private content(req: IncomingMessage, res: ServerResponse, path: string, data: Buffer): void {
    let body = data;
    if (this.corruptOnce.delete(path)) {
      body = Buffer.from(data);
      body[body.length >> 1] ^= 0xff;
    }
    if (this.truncateOnce.delete(path)) body = body.subarray(0, body.length - 3);
    const range = this.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'content-length': String(body.length - start),
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes' });
    }
    const stallAt = this.stallOnce.get(path);
    if (stallAt !== undefined) {
      this.stallOnce.delete(path);
      res.write(body.subarray(start, start + stallAt));
      return; // never ends: the client's stall timer must give up
    }
    const dropAt = this.dropOnce.get(path);
    if (dropAt !== undefined) {
      this.dropOnce.delete(path);
      // Send part of the promised body, then cut the connection as a flaky network would.
      res.write(body.subarray(start, start + dropAt), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body.subarray(start));
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message });
    res.end(JSON.stringify({ error: message }));
  }
}
