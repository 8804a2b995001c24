// Child processes of the benchmarks: every measurement runs in its own process, so peak RSS and
// load time belong to one contender. Ours runs under the malloc tunables the `musicgen` command
// sets (src/cli/mallocTunables.ts: transparent huge pages, 1 MiB mmap threshold); PLAIN_ENV is a process without them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withMallocTunables } from '../../dist/cli/mallocTunables.js';

const here = dirname(fileURLToPath(import.meta.url));

export const TUNED_ENV = { ...process.env, GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES) };
// What the `musicgen` command ran under before its 1 MiB mmap threshold (huge pages alone): the
// prepacked weights then grow the brk heap (src/cli/mallocTunables.ts says what that cost).
export const HUGE_PAGES_ONLY_ENV = { ...process.env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };
export const PLAIN_ENV = { ...process.env };
delete PLAIN_ENV.GLIBC_TUNABLES;

/** Runs scripts/bench/<script>; returns its last stdout line as JSON (or all stdout with json: false). */
export function runBenchScript(script, args, { json = true, env = TUNED_ENV } = {}) {
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, env });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return json ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : r.stdout;
}
