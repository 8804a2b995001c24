import { hostname } from 'node:os';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { PeakMemorySampler } from '../analysis/metrics/peakMemory.js';
import { batchRequest, MusicGen } from '../inference/musicgen.js';
import type { Redis } from 'ioredis';
import { endWithParent } from '../endWithParent.js';
import { batchDataKey, encodeBatchResult, parseBatchJobPayload, type BatchJobResult } from './batchJob.js';
import { JobPayloadError } from './errors.js';
import { parseQueueUrl } from './queueUrl.js';
import { connectRedis } from './redisConnection.js';
import { readSandboxConfig } from './workerConfig.js';

/**
 * BullMQ's sandboxed processor of `musicgen worker`: runs in a child process, so onnxruntime's
 * compute never delays the parent's lock renewals. The child stays alive between jobs and keeps
 * the last model loaded (one at a time, so memory stays bounded by the largest model).
 */
const config = readSandboxConfig();
// Orphaned (the worker was killed): exit at once, another worker takes the job over. BullMQ owns
// this child's IPC channel and its lifetime, so the channel stays referenced.
endWithParent({ graceMs: 0, unrefChannel: false });

let loaded: { key: string; model: MusicGen } | null = null;
let redis: Promise<Redis> | null = null;

/** A finished job's codes and audio wait this long for the collector (a month: studies pause). */
const DATA_TTL_S = 30 * 24 * 3600;

function dataStore(): Promise<Redis> {
  redis ??= connectRedis(parseQueueUrl(config.queue), { timeoutMs: config.redisTimeoutMs, log: (m) => process.stderr.write(m) }).then((c) => c.redis);
  return redis;
}

async function modelFor(path: string, dtype: string): Promise<MusicGen> {
  const key = `${path}\0${dtype}`;
  if (loaded?.key === key) return loaded.model;
  if (loaded) {
    const old = loaded.model;
    loaded = null;
    await old.dispose();
  }
  const model = await MusicGen.load(path, { dtype, threads: config.threads });
  loaded = { key, model };
  return model;
}

/** Progress as {done, total} decoder steps, sent at most twice a second (each is a Redis write). */
export interface StepProgress {
  done: number;
  total: number;
}

export default async function processBatch(job: SandboxedJob<unknown, BatchJobResult>): Promise<BatchJobResult> {
  let parsed: ReturnType<typeof parseBatchJobPayload>;
  try {
    parsed = parseBatchJobPayload(job.data, config.allowModels);
  } catch (err) {
    // A refused job fails at once: retrying it elsewhere would be refused the same way.
    if (err instanceof JobPayloadError) throw new UnrecoverableError(`refused: ${err.message}`);
    throw err;
  }
  const { payload, modelPath, items } = parsed;
  const model = await modelFor(modelPath, payload.model.dtype);
  const memory = new PeakMemorySampler().start();
  const t0 = performance.now();
  let lastSent = 0;
  try {
    const request = batchRequest(items, {
      params: payload.params,
      melodySampleRate: payload.melodySampleRate,
      progress: (done, total) => {
        memory.sample();
        const now = Date.now();
        if (now - lastSent < 500 && done < total) return;
        lastSent = now;
        void job.updateProgress({ done, total } satisfies StepProgress);
      },
    });
    const generated = await model.generateRequest(request);
    const result = { ...generated, items: generated.items! };
    const wallMs = performance.now() - t0;
    const { value, data } = encodeBatchResult(result, { wallMs, ...memory.stop(), worker: `${hostname()}:${process.pid}` }, batchDataKey(job.id));
    await (await dataStore()).set(value.data.key, data, 'EX', DATA_TTL_S);
    return value;
  } finally {
    memory.stop();
  }
}
