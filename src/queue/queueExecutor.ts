import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PlannedSweepBatch, SweepBatchExecutor, SweepExecutionContext } from '../analysis/sweepRunner.js';
import { AbortError } from '../inference/errors.js';
import { batchDataKey, batchJobId, batchJobPayload, decodeBatchResult, QUEUE_NAME, type BatchJobPayload, type BatchJobResult } from './batchJob.js';
import { abortableSleep } from './abortableSleep.js';
import { withCollectorQueue } from './collectorQueue.js';
import { enqueueJobs, type PlannedJob } from './enqueueJobs.js';
import { QueueJobError } from './errors.js';

export interface QueueExecutorOptions {
  /** redis://[:password@]host:port[/db] */
  queue: string;
  /** How long to retry an unreachable Redis before giving up (ms). Default 120 000. */
  redisTimeoutMs?: number;
  /** Attempts per job before it counts as failed (a worker error, not a refused job). Default 3. */
  attempts?: number;
  /** How often the collector looks at its jobs (ms). Default 500. */
  pollMs?: number;
  /** After this long without a finished job, say so and count the workers (ms). Default 60 000. */
  quietWarnMs?: number;
}

function isStepProgress(p: unknown): p is { done: number; total: number } {
  return typeof p === 'object' && p !== null && typeof (p as { done?: unknown }).done === 'number' && typeof (p as { total?: unknown }).total === 'number';
}

/**
 * Runs a sweep's batches on BullMQ workers: one job per planner batch, with a deterministic id,
 * so running the collector again enqueues nothing twice and picks up what finished meanwhile.
 * Results come back through Redis; the sweep runner (this process) writes every file. A finished
 * job is removed once its samples are on disk.
 */
export function queueExecutor(opts: QueueExecutorOptions): SweepBatchExecutor {
  return {
    async run(batches, ctx) {
      if (batches.length === 0) return;
      await withCollectorQueue(opts.queue, { redisTimeoutMs: opts.redisTimeoutMs, log: ctx.log }, (queue, redis, display) =>
        collect(queue, redis, batches, ctx, opts, display),
      );
    },
  };
}

async function collect(
  queue: Queue,
  redis: Redis,
  batches: readonly PlannedSweepBatch[],
  ctx: SweepExecutionContext,
  opts: QueueExecutorOptions,
  display: string,
): Promise<void> {
  const attempts = opts.attempts ?? 3;
  const payloads = new Map<string, BatchJobPayload>();
  const outstanding = new Map<string, PlannedSweepBatch>();
  for (const batch of batches) {
    const payload = batchJobPayload(batch, ctx.spec);
    const id = batchJobId(payload);
    payloads.set(id, payload);
    outstanding.set(id, batch);
  }
  const planned = (id: string): PlannedJob => ({ name: 'batch', id, payload: payloads.get(id) as BatchJobPayload });
  const queued = await enqueueJobs(queue, [...outstanding.keys()].map(planned), attempts);
  const already = outstanding.size - queued;
  ctx.log(
    `${outstanding.size} job(s) on ${display} (queue ${QUEUE_NAME}${already > 0 ? `, ${already} from an earlier run` : ''}); ` +
      `workers take them: musicgen worker --queue <url>\n`,
  );

  const pollMs = opts.pollMs ?? 500;
  const quietWarnMs = opts.quietWarnMs ?? 60_000;
  let lastChange = Date.now();
  while (outstanding.size > 0) {
    if (ctx.signal?.aborted) {
      throw new AbortError(`collector stopped; ${outstanding.size} job(s) stay on the queue and workers keep going: run the same command again to collect them`);
    }
    for (const [id, batch] of [...outstanding]) {
      const state = await queue.getJobState(id);
      if (state === 'completed') {
        const job = await queue.getJob(id);
        if (!job) continue;
        const value = job.returnvalue as BatchJobResult | null;
        const data = value?.data?.key === batchDataKey(id) ? await redis.getBuffer(value.data.key) : null;
        if (!data) {
          // Expired or lost with a Redis that kept the job but not its data: generate it again.
          ctx.log(`job ${id} finished but its audio is no longer in Redis; enqueueing it again\n`);
          await job.remove();
          await enqueueJobs(queue, [planned(id)], attempts);
          continue;
        }
        const executed = decodeBatchResult(value, data, batch.settings.length, id);
        await ctx.onDone(batch, executed);
        await redis.del(value!.data.key);
        await job.remove();
        outstanding.delete(id);
        lastChange = Date.now();
      } else if (state === 'failed') {
        const job = await queue.getJob(id);
        throw new QueueJobError(
          `batch ${batch.index} (${batch.settings.length} sample(s) of ${batch.model.name}, job ${id}) failed after ${job?.attemptsMade ?? '?'} attempt(s): ` +
            `${job?.failedReason ?? 'no reason recorded'}. Fix the cause and run the same command again: finished samples stay, the job is retried`,
        );
      } else if (state === 'unknown') {
        // Gone without a result (a Redis restarted without appendonly, or removed by hand).
        ctx.log(`job ${id} is no longer on the queue; enqueueing it again (keep Redis's appendonly on)\n`);
        await enqueueJobs(queue, [planned(id)], attempts);
      } else if (state === 'active') {
        const job = await queue.getJob(id);
        if (isStepProgress(job?.progress)) ctx.onStep(batch, job.progress.done, job.progress.total);
      }
    }
    if (outstanding.size === 0) break;
    if (Date.now() - lastChange > quietWarnMs) {
      const workers = await queue.getWorkersCount();
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
      ctx.log(
        `no job finished for ${Math.round((Date.now() - lastChange) / 1000)} s: ${workers} worker(s) connected, ` +
          `${counts.waiting} waiting, ${counts.active} active, ${counts.delayed} delayed${workers === 0 ? '; start one: musicgen worker --queue <url>' : ''}\n`,
      );
      lastChange = Date.now();
    }
    await abortableSleep(pollMs, ctx.signal);
  }
}
