import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint, synthesizeModel } from '../../src/convert/modelFolder.js';
import { fixtureCheckpointDir, type FixtureModel } from './fixtures.js';

/**
 * Model folders built by our converter for tests, cached per test process in the OS temp folder
 * (keyed by pid: concurrent vitest workers never share a half-written folder).
 */
const root = join(tmpdir(), `musicgen-ts-test-models-${process.pid}`);
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

export function convertedFixture(model: FixtureModel): string {
  const dir = join(root, model);
  if (!existsSync(dir)) {
    mkdirSync(root, { recursive: true });
    convertCheckpoint(fixtureCheckpointDir(model), dir);
  }
  return dir;
}

export function synthesizedPreset(preset: string, seed = 0): string {
  const dir = join(root, `${preset}-${seed}`);
  if (!existsSync(dir)) {
    mkdirSync(root, { recursive: true });
    synthesizeModel(preset, dir, { seed });
  }
  return dir;
}
