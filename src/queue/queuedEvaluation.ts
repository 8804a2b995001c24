import { resolve } from 'node:path';
import type { Queue } from 'bullmq';
import { decoderParameterCount } from '../analysis/modelSize.js';
import { melodyChroma } from '../evaluation/crossEntropyScorer.js';
import { descriptionOf } from '../evaluation/dataset.js';
import { EvaluationInputError } from '../evaluation/errors.js';
import { AudioFileCache, checkCompatible, modelLabels, readTokenCache, sliceAudio, type EvaluateOptions, type EvaluateResult } from '../evaluation/evaluateRun.js';
import { summarizeEvaluation, type EvaluationRow } from '../evaluation/evaluationResults.js';
import { AbortError } from '../inference/errors.js';
import { locateModelFiles } from '../model/modelFiles.js';
import { QUEUE_NAME } from './batchJob.js';
import { abortableSleep } from './abortableSleep.js';
import { withCollectorQueue } from './collectorQueue.js';
import { enqueueJobs } from './enqueueJobs.js';
import { QueueJobError } from './errors.js';
import { EVALUATE_JOB_NAME, evaluationJobId, evaluationJobPayload, parseEvaluationJobResult, type EvaluationJobPayload } from './evaluationJob.js';
import type { QueueExecutorOptions } from './queueExecutor.js';

export type QueuedEvaluationOptions = Omit<EvaluateOptions, 'data' | 'threads' | 'segment' | 'minSegment'> & {
  /** A token cache (musicgen encode): the codes travel in the jobs. */
  tokens: string;
  /** Called with each log line (connection trouble, how many jobs, waiting). */
  log?: (message: string) => void;
} & QueueExecutorOptions;

interface PlannedSegment {
  row: Omit<EvaluationRow, 'crossEntropy' | 'perplexity' | 'tokens' | 'ce' | 'ppl' | 'frames' | 'audioSeconds' | 'decoderMs'>;
  frameRate: number;
  payload: EvaluationJobPayload;
}

/**
 * `evaluateModels` with each (model, segment) scored by a `musicgen worker` (README "Scaling
 * out"): one job per segment and model, its id a hash of the model, the codes and the condition,
 * so running the same evaluation again enqueues nothing twice and collects what finished
 * meanwhile. Jobs stay on the queue until every one has finished (a stopped collector loses
 * nothing), then are removed. Token caches only: the codes travel in the jobs; melody models get
 * the chroma of each segment's audio, computed here as the local run computes it.
 */
export async function evaluateOnQueue(opts: QueuedEvaluationOptions): Promise<EvaluateResult> {
  const log = opts.log ?? (() => undefined);
  if (opts.models.length === 0) throw new EvaluationInputError('give at least one model folder');
  const labels = modelLabels(opts.models);
  const cached = readTokenCache(resolve(opts.tokens));
  const dtype = opts.dtype ?? 'fp32';
  const decoderLayout = opts.decoderLayout ?? 'auto';
  const parameters = new Map<string, number>();
  const planned: PlannedSegment[] = [];
  const files = new AudioFileCache();
  for (const [m, dir] of opts.models.entries()) {
    // The collector reads each folder's config as a local run does: the same path on every worker.
    const config = locateModelFiles(dir, dtype, decoderLayout).config;
    parameters.set(labels[m], decoderParameterCount(config));
    const melody = config.melody !== null && !opts.unconditional ? config.melody : null;
    for (const seg of cached) {
      checkCompatible(seg, config, dir);
      const text = opts.unconditional ? null : descriptionOf(seg.info.metadata);
      const chroma = melody ? melodyChroma(sliceAudio(await files.read(seg.info.source), seg.info.offset, seg.info.duration), melody) : null;
      planned.push({
        row: { model: labels[m], id: seg.info.id, text },
        frameRate: config.audioEncoder.frameRate,
        payload: evaluationJobPayload({ path: resolve(dir), dtype, decoderLayout }, { id: seg.info.id, codes: seg.codes, text, chroma }),
      });
    }
  }

  const rows = await withCollectorQueue(opts.queue, { redisTimeoutMs: opts.redisTimeoutMs, log }, (queue, _redis, display) => collect(queue, planned, opts, log, display));
  return { rows, summaries: summarizeEvaluation(rows, parameters) };
}

async function collect(queue: Queue, planned: PlannedSegment[], opts: QueuedEvaluationOptions, log: (m: string) => void, display: string): Promise<EvaluationRow[]> {
  const ids = planned.map((p) => evaluationJobId(p.payload));
  const jobs = planned.map((p, i) => ({ name: EVALUATE_JOB_NAME, id: ids[i], payload: p.payload }));
  const attempts = opts.attempts ?? 3;
  const queued = await enqueueJobs(queue, jobs, attempts);
  const already = ids.length - queued;
  log(`${ids.length} segment job(s) on ${display} (queue ${QUEUE_NAME}${already > 0 ? `, ${already} from an earlier run` : ''}); workers take them: musicgen worker --queue <url>\n`);

  const rows: Array<EvaluationRow | null> = planned.map(() => null);
  let done = 0;
  let lastChange = Date.now();
  const pollMs = opts.pollMs ?? 500;
  const quietWarnMs = opts.quietWarnMs ?? 60_000;
  // One row per (model, segment); `progress` counts them as a local --tokens run does.
  while (done < ids.length) {
    if (opts.signal?.aborted) {
      throw new AbortError(`collector stopped; ${ids.length - done} segment job(s) stay on the queue and workers keep going: run the same command again to collect them`);
    }
    for (const [i, id] of ids.entries()) {
      if (rows[i]) continue;
      const state = await queue.getJobState(id);
      if (state === 'completed') {
        const job = await queue.getJob(id);
        if (!job) continue;
        const r = parseEvaluationJobResult(job.returnvalue, id);
        const p = planned[i];
        rows[i] = { ...p.row, frames: r.frames, crossEntropy: r.crossEntropy, perplexity: r.perplexity, tokens: r.tokens, ce: r.ce, ppl: r.ppl, audioSeconds: r.frames / p.frameRate, decoderMs: r.decoderMs };
        done++;
        lastChange = Date.now();
        opts.progress?.({ done, total: ids.length, unit: 'segments', model: p.row.model });
      } else if (state === 'failed') {
        const job = await queue.getJob(id);
        throw new QueueJobError(
          `segment ${planned[i].row.id} under ${planned[i].row.model} (job ${id}) failed after ${job?.attemptsMade ?? '?'} attempt(s): ${job?.failedReason ?? 'no reason recorded'}. ` +
            'Fix the cause and run the same command again: finished segments are collected, the job is retried',
        );
      } else if (state === 'unknown') {
        log(`job ${id} is no longer on the queue; enqueueing it again (keep Redis's appendonly on)\n`);
        await enqueueJobs(queue, [jobs[i]], attempts);
      }
    }
    if (done === ids.length) break;
    if (Date.now() - lastChange > quietWarnMs) {
      const workers = await queue.getWorkersCount();
      log(`no segment finished for ${Math.round((Date.now() - lastChange) / 1000)} s: ${workers} worker(s) connected${workers === 0 ? '; start one: musicgen worker --queue <url>' : ''}\n`);
      lastChange = Date.now();
    }
    await abortableSleep(pollMs, opts.signal);
  }
  // Every result is in hand: the jobs can go (a rerun would score them again, as a local run does).
  for (const id of ids) await (await queue.getJob(id))?.remove();
  return rows as EvaluationRow[];
}
