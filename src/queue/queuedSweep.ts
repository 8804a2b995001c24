import { runSweep, type SweepRunOptions, type SweepRunResult } from '../analysis/sweepRunner.js';
import type { ResolvedSweepSpec, SweepSpec } from '../analysis/sweepSpec.js';
import { queueExecutor, type QueueExecutorOptions } from './queueExecutor.js';

export type QueuedSweepOptions = Omit<SweepRunOptions, 'executor' | 'loadModel' | 'threads'> & QueueExecutorOptions;

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
    executor: queueExecutor({ queue, redisTimeoutMs, attempts, pollMs, quietWarnMs }),
  });
}
