import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { endWithParent } from '../endWithParent.js';
import { MusicgenError } from '../errors.js';

/**
 * glibc malloc settings the `musicgen` command runs under (BENCHMARKS.md, "malloc tunables" and
 * "Load time"):
 * - `hugetlb=1` makes malloc ask for transparent huge pages. onnxruntime's prepacked weights and
 *   arenas then sit on 2 MiB pages: the page tables of a multi-GB model stop missing the caches
 *   (medium fp32 decodes 1.6x faster, large q8 1.2x), and a fresh EnCodec arena takes 512x fewer
 *   page faults.
 * - `mmap_threshold=1 MiB` gives every block of 1 MiB or more its own mapping. Without it glibc's
 *   threshold rises to 32 MiB after the first large free, so the prepacked weights grow the brk heap
 *   instead, and huge pages faulted there cost several times more kernel time than in mappings:
 *   the small fp32 decoder opened in 4.2-6.0 s (3.0 s of it system time) against 1.8-2.4 s (0.5 s)
 *   with the threshold, 5 rounds each; q8 0.8-1.2 s either way. Freed weights also go back to the
 *   system instead of staying as holes in the heap (peak RSS 1.42x -> 1.12x the files, session 5).
 *   Steps of our decoder: fp32 equal within run-to-run spread, q8 ~4 % fewer on average (four
 *   alternated pairs of 10 s runs at small).
 *   What it costs: the merged decoder of a folder not yet converted gets each per-step output over
 *   1 MiB as a fresh mapping (10 s at small: 6-15 % fewer steps/s in alternated runs); `generate`
 *   tells those users the command that converts the folder, which makes it 2-4x faster instead.
 * glibc reads tunables only when a process starts, hence the relaunch below.
 */
export const MALLOC_TUNABLES = ['glibc.malloc.hugetlb=1', 'glibc.malloc.mmap_threshold=1048576'];

/** `0` runs without the relaunch (and without the tunables). `low-memory` is accepted as `1`: it
 * named the 1 MiB threshold when that was opt-in. */
export const RELAUNCH_ENV = 'MUSICGEN_MALLOC_TUNABLES';

/** An unknown MUSICGEN_MALLOC_TUNABLES value. */
export class MallocTunablesError extends MusicgenError {}

/** What RELAUNCH_ENV asks for; `active` marks the relaunched child. Unknown values are an error, not ignored. */
export function mallocMode(env: NodeJS.ProcessEnv = process.env): 'off' | 'default' | 'active' {
  const v = env[RELAUNCH_ENV];
  if (v === undefined || v === '' || v === '1' || v === 'low-memory') return 'default';
  if (v === '0') return 'off';
  if (v === 'active') return v;
  throw new MallocTunablesError(`${RELAUNCH_ENV}="${v}" is not a setting; use 1 (huge pages and a 1 MiB mmap threshold, the default) or 0 (no malloc tunables)`);
}

/** `GLIBC_TUNABLES` with ours added; settings the user already made win. */
export function withMallocTunables(current: string | undefined): string {
  const have = (current ?? '').split(':').filter(Boolean);
  const names = new Set(have.map((t) => t.split('=')[0]));
  return [...have, ...MALLOC_TUNABLES.filter((t) => !names.has(t.split('=')[0]))].join(':');
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
  if (withMallocTunables(env.GLIBC_TUNABLES) === (env.GLIBC_TUNABLES ?? '')) return false;
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
  const env = { ...process.env, GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES), [RELAUNCH_ENV]: 'active' };
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
