import { fileURLToPath } from 'node:url';
import { Worker, type Job } from 'bullmq';
import { QUEUE_NAME, type BatchJobResult } from './batchJob.js';
import { EVALUATE_JOB_NAME, type EvaluationJobResult } from './evaluationJob.js';
import { parseQueueUrl } from './queueUrl.js';
import { connectRedis } from './redisConnection.js';
import { SANDBOX_CONFIG_ENV, type SandboxConfig } from './workerConfig.js';

export interface SweepWorkerOptions {
  /** redis://[:password@]host:port[/db] */
  queue: string;
  /** onnxruntime intra-op threads of each loaded model. */
  threads?: number;
  /** Jobs run at once (each in its own child process with its own model). Default 1. */
  concurrency?: number;
  /** Folders whose model folders jobs may name (resolved through symlinks). */
  allowModels: string[];
  /**
   * How long a job stays locked to this worker without a renewal (ms). A worker killed mid-job
   * hands its job to another one about this long after it died. Default 30 000 (BullMQ's).
   */
  lockDurationMs?: number;
  /** How long to retry an unreachable Redis before exiting (ms). */
  redisTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface SweepWorkerHandle {
  /** Finishes the running jobs (or, with `force`, hands them back at once) and disconnects. */
  close(force?: boolean): Promise<void>;
  /** Rejects when Redis stays away longer than the retry bound. */
  lost: Promise<never>;
}

/** The processor file beside this module: .js when built, .ts under tsx (tests). */
function processorFile(): string {
  const self = import.meta.url;
  return fileURLToPath(new URL(self.endsWith('.ts') ? './batchProcessor.ts' : './batchProcessor.js', self));
}

/**
 * Starts a BullMQ worker on the sweep queue. Jobs run in sandboxed child processes that keep
 * their model between jobs; progress goes to the job (the collector's bar), a line per job to `log`.
 */
export async function startSweepWorker(opts: SweepWorkerOptions): Promise<SweepWorkerHandle> {
  const log = opts.log ?? (() => undefined);
  const target = parseQueueUrl(opts.queue);
  const redisTimeoutMs = opts.redisTimeoutMs ?? 120_000;
  const { redis, lost } = await connectRedis(target, { timeoutMs: redisTimeoutMs, log });
  const sandbox: SandboxConfig = { threads: opts.threads, allowModels: opts.allowModels, queue: opts.queue, redisTimeoutMs };
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const worker = new Worker<unknown, BatchJobResult | EvaluationJobResult>(QUEUE_NAME, processorFile(), {
    connection: redis,
    concurrency: opts.concurrency ?? 1,
    lockDuration,
    // Another worker notices a dead worker's job within one interval after its lock lapsed.
    stalledInterval: lockDuration,
    // A job whose workers died twice is failed rather than handed round forever.
    maxStalledCount: 2,
    useWorkerThreads: false,
    workerForkOptions: { env: { ...process.env, [SANDBOX_CONFIG_ENV]: JSON.stringify(sandbox) } },
  });
  const started = new Map<string, number>();
  worker.on('active', (job: Job) => {
    started.set(job.id ?? '', Date.now());
    const data = job.data as { items?: unknown[]; id?: unknown; model?: { name?: unknown; path?: unknown } } | null;
    const what =
      job.name === EVALUATE_JOB_NAME
        ? `segment ${String(data?.id ?? '?')} under ${String(data?.model?.path ?? '?')}`
        : `${Array.isArray(data?.items) ? data.items.length : '?'} sample(s) of ${String(data?.model?.name ?? '?')}`;
    log(`job ${job.id} started: ${what} (attempt ${job.attemptsMade + 1})\n`);
  });
  worker.on('completed', (job: Job) => {
    const s = ((Date.now() - (started.get(job.id ?? '') ?? Date.now())) / 1000).toFixed(1);
    log(`job ${job.id} done in ${s} s\n`);
  });
  worker.on('failed', (job: Job | undefined, err: Error) => {
    log(`job ${job?.id ?? '?'} failed: ${err.message}\n`);
  });
  worker.on('error', (err: Error) => {
    // Connection errors are reported (once) by connectRedis; others are worth a line.
    if (!/ECONNREFUSED|ECONNRESET|Connection is closed|ENOTFOUND|ETIMEDOUT/.test(err.message)) log(`worker error: ${err.message}\n`);
  });
  await worker.waitUntilReady();
  log(`worker ready on ${target.display} (queue ${QUEUE_NAME}, concurrency ${opts.concurrency ?? 1}, models under ${opts.allowModels.join(', ')})\n`);
  return {
    lost,
    async close(force = false) {
      await worker.close(force);
      redis.disconnect();
    },
  };
}
