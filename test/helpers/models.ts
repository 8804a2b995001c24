import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint, synthesizeModel } from '../../src/convert/modelFolder.js';
import { fixtureCheckpointDir, type FixtureModel } from './fixtures.js';

/**
 * Model folders built by our converter for tests, cached per test process in the OS temp folder
 * (keyed by pid: concurrent vitest workers never share a half-written folder) under the run's
 * scratch folder, which test/globalSetup.ts removes at the end.
 */
const root = join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), `musicgen-ts-test-models-${process.pid}`);

/** Fixture folders hold both decoder layouts, so parity tests can run each (docs/MODEL_FORMAT.md). */
export function convertedFixture(model: FixtureModel): string {
  const dir = join(root, model);
  if (!existsSync(dir)) {
    mkdirSync(root, { recursive: true });
    convertCheckpoint(fixtureCheckpointDir(model), dir, { decoderLayout: 'both' });
  }
  return dir;
}

/** A seeded random preset; `merged` gives a transformers.js-style folder (as on the hub). */
export function synthesizedPreset(preset: string, seed = 0, decoderLayout: 'kvbuffer' | 'merged' | 'both' = 'kvbuffer'): string {
  const dir = join(root, `${preset}-${seed}${decoderLayout === 'kvbuffer' ? '' : `-${decoderLayout}`}`);
  if (!existsSync(dir)) {
    mkdirSync(root, { recursive: true });
    synthesizeModel(preset, dir, { seed, decoderLayout });
  }
  return dir;
}
