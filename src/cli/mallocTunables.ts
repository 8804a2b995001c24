import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { endWithParent } from '../endWithParent.js';
import { MusicgenError } from '../errors.js';

/**
 * glibc malloc settings the `musicgen` command runs under (BENCHMARKS.md, "malloc tunables"):
 * `hugetlb=1` makes malloc ask for transparent huge pages. onnxruntime's prepacked weights and
 * arenas then sit on 2 MiB pages: the page tables of a multi-GB model stop missing the caches
 * (medium fp32 decodes 1.6x faster, large q8 1.2x), a fresh EnCodec arena takes 512x fewer page
 * faults (10 s of audio decoded in ~1.9 s instead of ~3.3 s) and sessions load ~2x faster.
 * Not `mmap_threshold` by default (README: users may add it). At 1 MiB the weights onnxruntime
 * frees once it has prepacked them go back to the system instead of staying as holes in malloc's
 * heap (musicgen-small peak RSS fp32 1.42x -> 1.12x the files, q8 1.53x -> 1.26x, ~4 % slower
 * steps on our kvbuffer decoder), but the merged decoder of downloaded folders then gets every large
 * per-step output as a fresh mapping: 19.2 -> 12.8 steps/s at 4 s of q8, worse as the cache grows.
 * glibc reads tunables only when a process starts, hence the relaunch below.
 */
export const MALLOC_TUNABLES = ['glibc.malloc.hugetlb=1'];

/** Added with `MUSICGEN_MALLOC_TUNABLES=low-memory` (README "Memory", BENCHMARKS.md session 5). */
export const LOW_MEMORY_TUNABLES = ['glibc.malloc.mmap_threshold=1048576'];

/** `0` runs without the relaunch (and without the tunables); `low-memory` adds LOW_MEMORY_TUNABLES. */
export const RELAUNCH_ENV = 'MUSICGEN_MALLOC_TUNABLES';

/** An unknown MUSICGEN_MALLOC_TUNABLES value. */
export class MallocTunablesError extends MusicgenError {}

/** What RELAUNCH_ENV asks for; `active` marks the relaunched child. Unknown values are an error, not ignored. */
export function mallocMode(env: NodeJS.ProcessEnv = process.env): 'off' | 'default' | 'low-memory' | 'active' {
  const v = env[RELAUNCH_ENV];
  if (v === undefined || v === '' || v === '1') return 'default';
  if (v === '0') return 'off';
  if (v === 'low-memory' || v === 'active') return v;
  throw new MallocTunablesError(`${RELAUNCH_ENV}="${v}" is not a setting; use 0 (no malloc tunables), 1 (huge pages, the default) or low-memory (huge pages and a 1 MiB mmap threshold)`);
}

/** `GLIBC_TUNABLES` with ours added (and the low-memory ones if asked); settings the user already made win. */
export function withMallocTunables(current: string | undefined, lowMemory = false): string {
  const have = (current ?? '').split(':').filter(Boolean);
  const names = new Set(have.map((t) => t.split('=')[0]));
  const ours = lowMemory ? [...MALLOC_TUNABLES, ...LOW_MEMORY_TUNABLES] : MALLOC_TUNABLES;
  return [...have, ...ours.filter((t) => !names.has(t.split('=')[0]))].join(':');
}

/** True on Linux with glibc (the tunables mean nothing elsewhere). */
function isGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return Boolean(report?.header?.glibcVersionRuntime);
}

/**
 * Whether this process should relaunch itself under the tunables. `glibc` defaults to asking the
 * runtime, which costs a diagnostic report, so only after the cheap environment checks.
 */
export function needsRelaunch(env: NodeJS.ProcessEnv = process.env, glibc?: boolean): boolean {
  const mode = mallocMode(env);
  if (mode === 'off' || mode === 'active') return false;
  if (withMallocTunables(env.GLIBC_TUNABLES, mode === 'low-memory') === (env.GLIBC_TUNABLES ?? '')) return false;
  return glibc ?? isGlibc();
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs this script again as a child with the tunables and resolves with its exit code. The child
 * gets its own process group, so Ctrl-C reaches it once, through us (a second SIGINT would skip
 * its clean interrupt); SIGTERM and SIGHUP are forwarded the same way. An IPC channel ties the
 * child to us: when we end without forwarding anything (kill -9, a crash), the child sees the
 * channel close and stops too (endWithLauncher).
 */
export function relaunchWithMallocTunables(): Promise<number> {
  const lowMemory = mallocMode(process.env) === 'low-memory';
  const env = { ...process.env, GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES, lowMemory), [RELAUNCH_ENV]: 'active' };
  // --expose-gc lets generate() collect the dead KV cache before EnCodec runs (inference/musicgen.ts).
  const nodeArgs = process.execArgv.includes('--expose-gc') ? process.execArgv : [...process.execArgv, '--expose-gc'];
  const child = spawn(process.execPath, [...nodeArgs, ...process.argv.slice(1)], { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
  const forward = (signal: NodeJS.Signals) => (): void => {
    child.kill(signal);
  };
  const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      // A child ended by a signal: exit as a shell would report it (128 + signal number).
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/**
 * In the relaunched child: stop when the launcher ends, however it ends, so a supervisor's or a
 * shell's kill of the PID it started still stops the work and frees its port. The launcher
 * forwards the signals it can catch; after a SIGKILL it cannot, endWithParent treats the closed
 * IPC channel as the SIGTERM a supervisor would have sent and exits anyway after `graceMs`. Does
 * nothing outside a relaunched child.
 */
export function endWithLauncher(graceMs = 1000): void {
  if (!process.channel || mallocMode(process.env) !== 'active') return;
  endWithParent({ graceMs });
}
