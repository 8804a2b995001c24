import { readModelConfig } from '../analysis/sweepRunner.js';
import type { SweepModel } from '../analysis/sweepSpec.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { fetchModel, type FetchModelOptions } from './fetchModel.js';

/**
 * runSweep's `prepareModel` for a sweep run in this process: a hub model (`repo`) is fetched
 * into this machine's cache (or found there), as `musicgen fetch` does, and run from that folder.
 */
export async function fetchSweepModel(
  model: SweepModel,
  index: number,
  opts: Omit<FetchModelOptions, 'dtype' | 'revision'> = {},
): Promise<{ model: SweepModel; config: MusicgenModelConfig }> {
  if (model.repo === undefined) return { model, config: readModelConfig(model, index) };
  const fetched = await fetchModel(model.repo, { ...opts, revision: model.revision, dtype: model.dtype });
  const local: SweepModel = { ...model, path: fetched.dir };
  return { model: local, config: readModelConfig(local, index) };
}
