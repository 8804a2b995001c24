import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GenerationBackend, ProgressEvent } from './backend.js';
import { AppWorkerError, JobAbortedError } from './errors.js';
import type { FromWorker, ToWorker, WorkerInit, WorkerJob, WorkerResult } from './workerProtocol.js';

/**
 * Starts the worker script next to this module. From the built library that is
 * generationWorker.js. From the TypeScript sources (tests, tsx) it is the .ts file, which a
 * worker can only load after registering tsx's loader (a dev dependency) inside the worker.
 */
function startWorker(init: WorkerInit): Worker {
  const self = import.meta.url;
  if (self.endsWith('.js')) return new Worker(new URL('./generationWorker.js', self), { workerData: init });
  // require.resolve picks the package's "require" entry; the ESM one sits beside it.
  const cjs = createRequire(self).resolve('tsx/esm/api');
  const mjs = cjs.replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(existsSync(mjs) ? mjs : cjs).href;
  const entry = new URL('./generationWorker.ts', self).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: init });
}

interface Pending {
  jobId: string;
  resolve(r: WorkerResult): void;
  reject(e: Error): void;
  onProgress(e: ProgressEvent): void;
}

/**
 * One worker thread per model, started on the first job and kept (the model stays loaded). A
 * crashed worker fails the running job and is replaced on the next one.
 */
export class WorkerBackend implements GenerationBackend {
  private worker: Worker | null = null;
  private pending: Pending | null = null;

  constructor(
    private readonly init: WorkerInit,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(this.init);
    w.on('message', (msg: FromWorker) => this.onMessage(msg));
    // Events of a replaced worker are ignored: they must not fail the next worker's job.
    w.on('error', (err) => {
      this.log(`generation worker for ${this.init.modelDir} crashed: ${err.stack ?? err.message}`);
      if (this.worker === w) this.fail(new AppWorkerError('the generation worker crashed; see the server log. Submit again to restart it'));
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.fail(new AppWorkerError(`the generation worker stopped (exit code ${code}); submit again to restart it`));
    });
    this.worker = w;
    return w;
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = null;
    if (this.worker) {
      void this.worker.terminate();
      this.worker = null;
    }
    p?.reject(err);
  }

  private onMessage(msg: FromWorker): void {
    const p = this.pending;
    if (!p || msg.jobId !== p.jobId) return;
    switch (msg.type) {
      case 'loading':
        p.onProgress({ kind: 'loading' });
        return;
      case 'progress':
        p.onProgress({ kind: 'progress', done: msg.done, total: msg.total });
        return;
      case 'decoding':
        p.onProgress({ kind: 'decoding' });
        return;
      case 'done':
        this.pending = null;
        p.resolve(msg.result);
        return;
      case 'aborted':
        this.pending = null;
        p.reject(new JobAbortedError('interrupted'));
        return;
      case 'failed':
        this.pending = null;
        if (msg.internal) this.log(`generation failed: ${msg.message}`);
        p.reject(new AppWorkerError(msg.internal ? 'the generation failed with an internal error; see the server log' : msg.message));
    }
  }

  run(job: WorkerJob, onProgress: (e: ProgressEvent) => void, signal: AbortSignal): Promise<WorkerResult> {
    if (this.pending) return Promise.reject(new AppWorkerError('this model is already generating'));
    const worker = this.ensureWorker();
    return new Promise<WorkerResult>((resolve, reject) => {
      const onAbort = (): void => worker.postMessage({ type: 'abort', jobId: job.jobId } satisfies ToWorker);
      const settle = (): void => signal.removeEventListener('abort', onAbort);
      this.pending = {
        jobId: job.jobId,
        onProgress,
        resolve: (r) => (settle(), resolve(r)),
        reject: (e) => (settle(), reject(e)),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Typed arrays are copied (structured clone): the upload stays usable for the next job.
      worker.postMessage({ type: 'run', job } satisfies ToWorker);
      if (signal.aborted) onAbort();
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.pending?.reject(new AppWorkerError('the server is shutting down'));
    this.pending = null;
    if (w) await w.terminate();
  }
}
