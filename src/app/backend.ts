import type { WorkerJob, WorkerResult } from './workerProtocol.js';

/**
 * Progress of a running job: `loading` while the model loads, decoder steps done of the total,
 * then `decoding` once the last step is done (EnCodec turns the tokens into audio, the pictures
 * are drawn).
 */
export type ProgressEvent = { kind: 'loading' } | { kind: 'progress'; done: number; total: number } | { kind: 'decoding' };

/**
 * Runs generation jobs for one model, one at a time. The real one is a worker thread
 * (WorkerBackend); route tests inject a fake. `run` rejects with AppWorkerError on failure and
 * with JobAbortedError when `signal` fired.
 */
export interface GenerationBackend {
  run(job: WorkerJob, onProgress: (e: ProgressEvent) => void, signal: AbortSignal): Promise<WorkerResult>;
  close(): Promise<void>;
}

export type BackendFactory = (model: { id: string; dir: string }) => GenerationBackend;
