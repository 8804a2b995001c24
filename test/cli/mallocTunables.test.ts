import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, MallocTunablesError, needsRelaunch, withMallocTunables } from '../../src/cli/mallocTunables.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'relaunchChild.ts');
const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);
const thpFile = '/sys/kernel/mm/transparent_hugepage/enabled';
const thp = existsSync(thpFile) && !readFileSync(thpFile, 'utf8').includes('[never]');

interface Report {
  pid?: number;
  tunables?: string | null;
  hugeKb?: number;
  gc?: string;
  done?: boolean;
  signals?: string[];
}

/** Starts the child script; `reports` fill as it prints JSON lines. */
function start(env: NodeJS.ProcessEnv, ownGroup = false) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
  const reports: Report[] = [];
  let buf = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      reports.push(JSON.parse(buf.slice(0, nl)) as Report);
      buf = buf.slice(nl + 1);
    }
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const first = async (): Promise<Report> => {
    const deadline = Date.now() + 30_000;
    while (reports.length === 0) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`child did not report:\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return reports[0];
  };
  return { proc, reports, exited, first };
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.MUSICGEN_MALLOC_TUNABLES;
  return env;
};

describe('malloc tunables for the musicgen command', () => {
  it('adds huge pages and the 1 MiB mmap threshold to GLIBC_TUNABLES, keeping what the user set', () => {
    expect(MALLOC_TUNABLES).toEqual(['glibc.malloc.hugetlb=1', 'glibc.malloc.mmap_threshold=1048576']);
    expect(withMallocTunables(undefined)).toBe('glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576');
    expect(withMallocTunables('glibc.malloc.hugetlb=0:glibc.cpu.hwcaps=-AVX512F')).toBe('glibc.malloc.hugetlb=0:glibc.cpu.hwcaps=-AVX512F:glibc.malloc.mmap_threshold=1048576');
    expect(withMallocTunables('glibc.malloc.mmap_threshold=4194304')).toBe('glibc.malloc.mmap_threshold=4194304:glibc.malloc.hugetlb=1');
    expect(needsRelaunch({}, true)).toBe(true);
    expect(needsRelaunch({ GLIBC_TUNABLES: withMallocTunables('') }, true)).toBe(false);
    // Under huge pages alone (how the command ran before the threshold was its default): relaunch for it.
    expect(needsRelaunch({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, true)).toBe(true);
    expect(needsRelaunch({}, false)).toBe(false); // not glibc: nothing to gain
    expect(needsRelaunch({ MUSICGEN_MALLOC_TUNABLES: '0' }, true)).toBe(false);
  });

  it('low-memory (the threshold when it was opt-in) is the default now; an unknown setting is an error that names the valid ones', () => {
    expect(needsRelaunch({ MUSICGEN_MALLOC_TUNABLES: 'low-memory' }, true)).toBe(true);
    expect(needsRelaunch({ GLIBC_TUNABLES: withMallocTunables(''), MUSICGEN_MALLOC_TUNABLES: 'low-memory' }, true)).toBe(false);
    expect(() => needsRelaunch({ MUSICGEN_MALLOC_TUNABLES: 'lowmem' }, true)).toThrow(MallocTunablesError);
    expect(() => needsRelaunch({ MUSICGEN_MALLOC_TUNABLES: 'lowmem' }, true)).toThrow(/"lowmem" is not a setting; use 1 .* or 0 \(no malloc tunables\)/);
  });

  it.runIf(glibc)('relaunches under the tunables (memory on huge pages) and forwards SIGTERM once, passing the exit code back', async () => {
    const c = start(baseEnv());
    try {
      const r = await c.first();
      expect(r.pid).not.toBe(c.proc.pid);
      expect(r.tunables).toBe(MALLOC_TUNABLES.join(':'));
      expect(r.gc).toBe('function'); // --expose-gc, for generate()'s collection before EnCodec
      if (thp) expect(r.hugeKb).toBeGreaterThan(0);
      c.proc.kill('SIGTERM');
      expect(await c.exited).toBe(3);
      expect(c.reports.at(-1)).toEqual({ done: true, signals: ['SIGTERM'] });
    } finally {
      if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }
  });

  it.runIf(glibc)('Ctrl-C reaches the relaunched process exactly once', async () => {
    const c = start(baseEnv(), true);
    try {
      await c.first();
      // As a terminal does: SIGINT to the launcher's process group (the child has its own).
      process.kill(-c.proc.pid!, 'SIGINT');
      expect(await c.exited).toBe(3);
      expect(c.reports.at(-1)).toEqual({ done: true, signals: ['SIGINT'] });
    } finally {
      if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }
  });

  it.runIf(glibc)('MUSICGEN_MALLOC_TUNABLES=low-memory relaunches under the default tunables', async () => {
    const c = start({ ...baseEnv(), MUSICGEN_MALLOC_TUNABLES: 'low-memory' });
    try {
      const r = await c.first();
      expect(r.pid).not.toBe(c.proc.pid);
      expect(r.tunables).toBe(MALLOC_TUNABLES.join(':'));
      c.proc.kill('SIGTERM');
      expect(await c.exited).toBe(3);
    } finally {
      if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }
  });

  it('MUSICGEN_MALLOC_TUNABLES=0 runs in place, without the tunables', async () => {
    const c = start({ ...baseEnv(), MUSICGEN_MALLOC_TUNABLES: '0' });
    try {
      const r = await c.first();
      expect(r.pid).toBe(c.proc.pid);
      expect(r.tunables).toBeNull();
      expect(r.gc).toBe('undefined');
      if (glibc && thp) expect(r.hugeKb).toBe(0);
      c.proc.kill('SIGTERM');
      expect(await c.exited).toBe(3);
    } finally {
      if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }
  });
});
