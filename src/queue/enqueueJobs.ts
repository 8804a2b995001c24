import type { Queue } from 'bullmq';

/** One job the collector wants done: BullMQ job name, deterministic id, payload. */
export interface PlannedJob {
  name: string;
  id: string;
  payload: object;
}

/**
 * Puts each planned job on the queue unless an earlier run already did: a job id the queue has
 * never seen is added; a failed one (the user runs the command again after a failure) gets
 * another round; a waiting, running or finished one is left as it is. Returns how many were
 * (re)queued, so the caller can say how many came from an earlier run.
 */
export async function enqueueJobs(queue: Queue, jobs: readonly PlannedJob[], attempts: number): Promise<number> {
  let queued = 0;
  for (const job of jobs) {
    const state = await queue.getJobState(job.id);
    if (state === 'unknown') {
      await queue.add(job.name, job.payload, {
        jobId: job.id,
        attempts,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: false,
        removeOnFail: false,
      });
      queued++;
    } else if (state === 'failed') {
      await (await queue.getJob(job.id))?.retry('failed');
      queued++;
    }
  }
  return queued;
}
