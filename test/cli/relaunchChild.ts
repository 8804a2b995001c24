// A stand-in for bin/musicgen.js: relaunches itself under the malloc tunables, then (in the
// relaunched process) reports what it runs under and counts the signals it gets.
import { readFileSync } from 'node:fs';
import { needsRelaunch, relaunchWithMallocTunables } from '../../src/cli/mallocTunables.js';

if (needsRelaunch()) {
  process.exitCode = await relaunchWithMallocTunables();
} else {
  // 64 MiB touched: on 2 MiB pages when glibc was asked for huge pages (and THP is not "never").
  const block = new Float32Array(16 << 20);
  block.fill(1);
  const hugeKb = Number(/AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0);
  const signals: string[] = [];
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(s, () => {
      signals.push(s);
      setTimeout(() => {
        process.stdout.write(`${JSON.stringify({ done: true, signals })}\n`);
        process.exit(3);
      }, 300);
    });
  }
  process.stdout.write(`${JSON.stringify({ pid: process.pid, tunables: process.env.GLIBC_TUNABLES ?? null, hugeKb, gc: typeof (globalThis as { gc?: unknown }).gc, block: block.length })}\n`);
  setTimeout(() => process.exit(4), 30_000);
}
