import { hostname } from 'node:os';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { PeakMemorySampler } from '../analysis/metrics/peakMemory.js';
import { batchRequest, MusicGen } from '../inference/musicgen.js';
import { CacheBusyError, ChecksumMismatchError, HubError, HubNetworkError, HubResponseError } from '../hub/errors.js';
import { fetchModel } from '../hub/fetchModel.js';
import type { Redis } from 'ioredis';
import { endWithParent } from '../endWithParent.js';
import { CrossEntropyScorer } from '../evaluation/crossEntropyScorer.js';
import { EvaluationInputError } from '../evaluation/errors.js';
import { BATCH_FORMAT_VERSION, batchDataKey, encodeBatchResult, parseBatchJobPayload, type BatchJobResult, type JobModelSource } from './batchJob.js';
import { EVALUATE_JOB_NAME, parseEvaluationJobPayload, type EvaluationJobResult } from './evaluationJob.js';
import { JobPayloadError } from './errors.js';
import { parseQueueUrl } from './queueUrl.js';
import { connectRedis } from './redisConnection.js';
import { readSandboxConfig } from './workerConfig.js';

/**
 * BullMQ's sandboxed processor of `musicgen worker` (sweep batches, and segments of queued
 * evaluations): runs in a child process, so onnxruntime's
 * compute never delays the parent's lock renewals. The child stays alive between jobs and keeps
 * the last model loaded (one at a time, so memory stays bounded by the largest model).
 */
const config = readSandboxConfig();
// Orphaned (the worker was killed): exit at once, another worker takes the job over. BullMQ keeps
// this child between jobs through its IPC channel, so the channel stays referenced: unref'd, the
// child exits as soon as it is idle or awaits the worker (the pool then hands the next job to a
// dead child, "Unexpected exit code: 0", and every job reloads the model).
endWithParent({ graceMs: 0, unrefChannel: false });

/** The one model this process keeps: a MusicGen (sweep batches) or a scorer (evaluation jobs). */
let loaded: { key: string; model: MusicGen | CrossEntropyScorer } | null = null;
let redis: Promise<Redis> | null = null;

/** A finished job's codes and audio wait this long for the collector (a month: studies pause). */
const DATA_TTL_S = 30 * 24 * 3600;

function dataStore(): Promise<Redis> {
  redis ??= connectRedis(parseQueueUrl(config.queue), { timeoutMs: config.redisTimeoutMs, log: (m) => process.stderr.write(m) }).then((c) => c.redis);
  return redis;
}

/**
 * The job's model, loaded once per (model, dtype) and kept for the next job. A hub model is
 * fetched into this worker's cache (MUSICGEN_CACHE_DIR) at the job's commit: downloaded by the
 * first job that needs it, then found there without a request.
 */
async function modelFor(source: JobModelSource, dtype: string): Promise<MusicGen> {
  const key = `generate\0${source.kind === 'folder' ? source.path : `${source.repoId}@${source.commit}`}\0${dtype}`;
  return keep(key, async () => {
    const dir = source.kind === 'folder' ? source.path : await fetchHubModel(source.repoId, source.commit, dtype);
    return MusicGen.load(dir, { dtype, threads: config.threads });
  });
}

function scorerFor(path: string, dtype: string, decoderLayout: string): Promise<CrossEntropyScorer> {
  return keep(`score\0${path}\0${dtype}\0${decoderLayout}`, () => CrossEntropyScorer.load(path, { dtype, decoderLayout, threads: config.threads }));
}

/** The loaded model under `key`, or the one `load` gives after the previous one is freed. */
async function keep<T extends MusicGen | CrossEntropyScorer>(key: string, load: () => Promise<T>): Promise<T> {
  if (loaded?.key === key) return loaded.model as T;
  if (loaded) {
    const old = loaded.model;
    loaded = null;
    await old.dispose();
  }
  const model = await load();
  loaded = { key, model };
  return model;
}

async function fetchHubModel(repoId: string, commit: string, dtype: string): Promise<string> {
  const say = (m: string): void => {
    process.stderr.write(`${m}\n`);
  };
  let lastSaid = 0;
  try {
    const fetched = await fetchModel(repoId, {
      revision: commit,
      dtype,
      log: say,
      // A line every 10 s: the worker's log is a file or a terminal shared by several children.
      progress: (done, total, file) => {
        if (Date.now() - lastSaid < 10_000) return;
        lastSaid = Date.now();
        say(`fetching ${repoId}@${commit.slice(0, 8)} (${dtype}): ${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} MB ${file}`);
      },
    });
    if (!fetched.fromCache) say(`fetched ${repoId}@${commit.slice(0, 8)} (${dtype}) into ${fetched.dir}`);
    return fetched.dir;
  } catch (err) {
    // A missing repo, dtype or access fails the same way on every attempt; a network error may not.
    const transient = err instanceof HubNetworkError || err instanceof HubResponseError || err instanceof CacheBusyError || err instanceof ChecksumMismatchError;
    if (err instanceof HubError && !transient) throw new UnrecoverableError(`cannot fetch ${repoId}@${commit.slice(0, 8)}: ${err.message}`);
    throw err;
  }
}

/** Progress as {done, total} decoder steps, sent at most twice a second (each is a Redis write). */
export interface StepProgress {
  done: number;
  total: number;
}

/** A segment of a queued evaluation: its teacher-forced cross-entropy under the job's model. */
async function scoreSegment(job: SandboxedJob): Promise<EvaluationJobResult> {
  let parsed: ReturnType<typeof parseEvaluationJobPayload>;
  try {
    parsed = parseEvaluationJobPayload(job.data, config.allowModels);
  } catch (err) {
    if (err instanceof JobPayloadError) throw new UnrecoverableError(`refused: ${err.message}`);
    throw err;
  }
  const scorer = await scorerFor(parsed.modelPath, parsed.dtype, parsed.decoderLayout);
  try {
    const [r] = await scorer.crossEntropy([parsed.item]);
    return { ...r, version: BATCH_FORMAT_VERSION, worker: `${hostname()}:${process.pid}` };
  } catch (err) {
    // Codes that do not fit the model fail the same way on every worker.
    if (err instanceof EvaluationInputError) throw new UnrecoverableError(err.message);
    throw err;
  }
}

export default async function processJob(job: SandboxedJob): Promise<BatchJobResult | EvaluationJobResult> {
  return job.name === EVALUATE_JOB_NAME ? scoreSegment(job) : processBatch(job);
}

async function processBatch(job: SandboxedJob): Promise<BatchJobResult> {
  let parsed: ReturnType<typeof parseBatchJobPayload>;
  try {
    parsed = parseBatchJobPayload(job.data, config.allowModels);
  } catch (err) {
    // A refused job fails at once: retrying it elsewhere would be refused the same way.
    if (err instanceof JobPayloadError) throw new UnrecoverableError(`refused: ${err.message}`);
    throw err;
  }
  const { payload, source, items } = parsed;
  const model = await modelFor(source, payload.model.dtype);
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
