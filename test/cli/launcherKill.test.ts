import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The real `musicgen mos serve` under the launcher that relaunches it with malloc tunables
// (test/cli/musicgenChild.ts is bin/musicgen.js on the sources). Linux only: the relaunch exists
// only with glibc, and the child is found through /proc.
const launcher = join(dirname(fileURLToPath(import.meta.url)), 'musicgenChild.ts');
const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** PIDs whose parent is `ppid` and whose command line runs this launcher script (not tsx's esbuild helper). */
function relaunchedChildren(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      const [, ppidField] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppidField) === ppid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(launcher)) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
/** Whether `pid` still runs (a zombie waiting for its reaper counts as ended). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
/** Whether something can listen on 127.0.0.1:port now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Starts `musicgen mos serve` through the launcher; resolves once it listens. */
async function serve(ownGroup: boolean) {
  const db = join(mkdtempSync(join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), 'launcher-')), 'mos.db');
  const env: NodeJS.ProcessEnv = { ...process.env, MUSICGEN_MOS_ADMIN_SECRET: 'launcher-secret-0123456789' };
  delete env.GLIBC_TUNABLES;
  delete env.MUSICGEN_MALLOC_TUNABLES;
  const proc = spawn(process.execPath, ['--import', 'tsx', launcher, 'mos', 'serve', '--db', db, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 60_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out))) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const children = relaunchedChildren(proc.pid!);
  return { proc, exited, port: Number(m[1]), children, output: () => out };
}

describe.runIf(glibc)('the musicgen launcher and its relaunched child', () => {
  it('kill -9 of the launcher ends the relaunched mos serve within 2 s and frees its port', async () => {
    const s = await serve(false);
    try {
      expect(s.children).toHaveLength(1); // the relaunched process holds the port, not the launcher
      const child = s.children[0];
      expect(await portFree(s.port)).toBe(false);
      expect((await fetch(`http://127.0.0.1:${s.port}/`)).status).toBeLessThan(500);
      const t0 = Date.now();
      s.proc.kill('SIGKILL');
      expect((await s.exited).signal).toBe('SIGKILL');
      while (running(child) && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 20));
      expect(running(child)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(await portFree(s.port)).toBe(true);
      await expect(fetch(`http://127.0.0.1:${s.port}/`)).rejects.toThrow();
    } finally {
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
      for (const c of s.children) if (running(c)) process.kill(c, 'SIGKILL');
    }
  });

  it('Ctrl-C reaches the relaunched mos serve once: it closes, and the launcher exits 0', async () => {
    const s = await serve(true);
    try {
      const [child] = s.children;
      // As a terminal does: SIGINT to the launcher's process group (the child has its own).
      process.kill(-s.proc.pid!, 'SIGINT');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(running(child)).toBe(false);
      expect(await portFree(s.port)).toBe(true);
      expect(s.output()).not.toMatch(/Error/);
    } finally {
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
      for (const c of s.children) if (running(c)) process.kill(c, 'SIGKILL');
    }
  });

  it("passes the relaunched command's failure exit code back", async () => {
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.MUSICGEN_MALLOC_TUNABLES;
    const proc = spawn(process.execPath, ['--import', 'tsx', launcher, 'mos', 'serve', '--db', 'x.db', '--port', '70000'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/--port must be an integer/);
  });
});
