import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One scratch folder per test run, removed at the end: vitest's fork workers are killed rather
 * than exiting, so per-process cleanup hooks never run.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'musicgen-ts-test-'));
  process.env.MUSICGEN_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
