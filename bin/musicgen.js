#!/usr/bin/env node
// Thin launcher: the CLI lives in the built library (npm run build). On Linux with glibc it first
// relaunches itself with malloc tunables (huge pages and a 1 MiB mmap threshold; see
// src/cli/mallocTunables.ts), which glibc reads only at process start. MUSICGEN_MALLOC_TUNABLES=0
// skips that.
import { endWithLauncher, needsRelaunch, relaunchWithMallocTunables } from '../dist/cli/mallocTunables.js';

let relaunch = false;
try {
  relaunch = needsRelaunch();
} catch (err) {
  process.stderr.write(`musicgen: ${err.message}\n`);
  process.exit(2);
}
if (relaunch) {
  relaunchWithMallocTunables().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`musicgen: could not relaunch with malloc tunables (${err.message}); set MUSICGEN_MALLOC_TUNABLES=0 to skip them\n`);
      process.exitCode = 1;
    },
  );
} else {
  endWithLauncher(); // a relaunched child stops when its launcher does, even after kill -9
  const { main } = await import('../dist/cli/main.js');
  main(process.argv).catch((err) => {
    process.stderr.write(`musicgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
