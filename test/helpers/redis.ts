import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback port (the OS picks it; closed again before redis-server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A throwaway Debian redis-server on 127.0.0.1 with appendonly in a temp folder. */
export class TestRedis {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), 'redis-'));

  private constructor(
    readonly port: number,
    readonly password: string | null,
  ) {}

  static async start(password: string | null = null): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), password);
    await r.startServer();
    return r;
  }

  /** redis://[:password@]127.0.0.1:port/db */
  url(db = 0): string {
    return `redis://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}/${db}`;
  }

  async startServer(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', this.dir];
    if (this.password) args.push('--requirepass', this.password);
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}):\n${out}`));
      });
    });
    proc.removeAllListeners('exit');
  }

  /** Stops the server (SIGTERM: it flushes the append-only file first) and waits for it to exit. */
  async stopServer(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.stopServer();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
