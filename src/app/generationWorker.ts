/**
 * Worker thread entry: loads one model folder on the first job and runs jobs one at a time.
 * Generation and the result pictures are CPU-bound; here they never block the server's event
 * loop. An abort message flips the job's AbortSignal, which the token loop checks every step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { MusicgenError } from '../errors.js';
import { AbortError } from '../inference/errors.js';
import { MusicGen, type GenerateOptions, type GenerationRequest } from '../inference/musicgen.js';
import { writeMelodyChroma, writeSampleFiles } from './resultFiles.js';
import type { FromWorker, ToWorker, WorkerInit, WorkerJob, WorkerResult } from './workerProtocol.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('generationWorker.ts must run in a worker thread');

let model: Promise<MusicGen> | null = null;
const controllers = new Map<string, AbortController>();
/** Aborts that arrived before their job started (the server sends one job at a time: at most one). */
const abortedEarly = new Set<string>();
/** Jobs arrive one at a time from the server; the chain keeps that true even if two slip in. */
let chain: Promise<void> = Promise.resolve();

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

/** The job as one request: `samples` items of the description (none when empty), melody, prompt. */
function requestOf(job: WorkerJob, opts: GenerateOptions): GenerationRequest {
  const n = job.samples;
  const repeat = <T>(x: T): T[] => Array.from({ length: n }, () => x);
  return {
    ...opts,
    samples: n,
    // An empty description is no conditioning at all (AudioCraft masks empty strings).
    text: job.description.trim() === '' ? null : repeat(job.description),
    melody: job.melody ? { audio: repeat(job.melody.channels), sampleRate: job.melody.sampleRate } : undefined,
    prompt: job.continuation ? { audio: repeat(job.continuation.channels), sampleRate: job.continuation.sampleRate } : undefined,
  };
}

async function run(job: WorkerJob): Promise<void> {
  const controller = new AbortController();
  controllers.set(job.jobId, controller);
  if (abortedEarly.delete(job.jobId)) controller.abort();
  try {
    const t0 = performance.now();
    if (!model) {
      send({ type: 'loading', jobId: job.jobId });
      model = MusicGen.load(init.modelDir, { dtype: init.dtype, threads: init.threads });
      // A failed load must not stick: the next job tries again.
      model.catch(() => (model = null));
    }
    const m = await model;
    const loadMs = performance.now() - t0;
    if (controller.signal.aborted) throw new AbortError('interrupted before the generation started');
    const t1 = performance.now();
    const result = await m.generateRequest(requestOf(job, {
      params: { ...job.params },
      signal: controller.signal,
      progress: (done, total) => {
        send({ type: 'progress', jobId: job.jobId, done, total });
        // The token loop is over; EnCodec's decode (and the pictures below) follow.
        if (done === total) send({ type: 'decoding', jobId: job.jobId });
      },
    }));
    const t2 = performance.now();
    const melody = job.melody ? writeMelodyChroma(job.outDir, job.melody) : null;
    const samples = result.audio.map((audio, i) => writeSampleFiles(job.outDir, i, audio, result.sampleRate, melody?.chroma ?? null));
    const params: Record<string, unknown> = {
      model: job.model,
      description: job.description,
      samples: job.samples,
      melody: job.melody ? { seconds: job.melody.channels[0].length / job.melody.sampleRate, sampleRate: job.melody.sampleRate } : null,
      continuation: job.continuation
        ? { seconds: job.continuation.channels[0].length / job.continuation.sampleRate, sampleRate: job.continuation.sampleRate }
        : null,
      ...result.params,
      normalization: '-16 LUFS, compressor (tanh)',
    };
    const paramsFile = 'params.json';
    writeFileSync(join(job.outDir, paramsFile), `${JSON.stringify(params, null, 2)}\n`);
    const out: WorkerResult = {
      samples,
      melodyChroma: melody?.file ?? null,
      params,
      paramsFile,
      sampleRate: result.sampleRate,
      timings: { loadMs, generateMs: t2 - t1, postprocessMs: performance.now() - t2 },
    };
    send({ type: 'done', jobId: job.jobId, result: out });
  } catch (err) {
    if (err instanceof AbortError || (err instanceof Error && err.name === 'AbortError')) send({ type: 'aborted', jobId: job.jobId });
    // Our own errors carry actionable messages for the page; anything else is logged server-side only.
    else if (err instanceof MusicgenError) send({ type: 'failed', jobId: job.jobId, message: err.message, internal: false });
    else send({ type: 'failed', jobId: job.jobId, message: err instanceof Error ? (err.stack ?? err.message) : String(err), internal: true });
  } finally {
    controllers.delete(job.jobId);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'abort') {
    const c = controllers.get(msg.jobId);
    if (c) c.abort();
    else if (abortedEarly.size < 16) abortedEarly.add(msg.jobId);
  }
  else if (msg.type === 'run') chain = chain.then(() => run(msg.job));
});
