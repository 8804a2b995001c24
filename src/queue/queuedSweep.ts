import { readModelConfig, runSweep, type SweepRunOptions, type SweepRunResult } from '../analysis/sweepRunner.js';
import type { ResolvedSweepSpec, SweepModel, SweepSpec } from '../analysis/sweepSpec.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { hubModelInfo } from '../hub/hubModelConfig.js';
import { queueExecutor, type QueueExecutorOptions } from './queueExecutor.js';

export type QueuedSweepOptions = Omit<SweepRunOptions, 'executor' | 'loadModel' | 'threads' | 'prepareModel'> & QueueExecutorOptions;

/**
 * A queued sweep's model as the collector sees it: a folder's config.json, or for a hub model
 * (`repo`) the config.json and commit read from the hub (HF_ENDPOINT, HF_TOKEN), without
 * downloading the weights; the model is pinned to that commit, which every worker then fetches.
 */
async function collectorModel(model: SweepModel, index: number): Promise<{ model: SweepModel; config: MusicgenModelConfig }> {
  if (model.repo === undefined) return { model, config: readModelConfig(model, index) };
  const info = await hubModelInfo(model.repo, { revision: model.revision, dtype: model.dtype });
  return { model: { ...model, path: '', revision: info.commit }, config: info.config };
}

/**
 * `runSweep` with its batches run by `musicgen worker`s on a Redis queue (README "Scaling out").
 * The plan is the local runner's; without a memory budget only `maxBatch` bounds a batch (the
 * collector's free memory says nothing about the workers'), so the plan, and every job id, is the
 * same each time the same command runs.
 */
export function runSweepOnQueue(spec: SweepSpec | ResolvedSweepSpec, opts: QueuedSweepOptions): Promise<SweepRunResult> {
  const { queue, redisTimeoutMs, attempts, pollMs, quietWarnMs, ...run } = opts;
  return runSweep(spec, {
    ...run,
    memoryBudgetBytes: run.memoryBudgetBytes ?? Number.POSITIVE_INFINITY,
    prepareModel: collectorModel,
    executor: queueExecutor({ queue, redisTimeoutMs, attempts, pollMs, quietWarnMs }),
  });
}
