#!/usr/bin/env node
// Thin launcher: the CLI lives in the built library (npm run build).
import { main } from '../dist/cli/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`musicgen: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
