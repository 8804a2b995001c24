/**
 * Messages between the server and a generation worker (worker_threads, structured clone).
 * Plain data only: typed arrays, strings, numbers.
 */

/** Audio handed to the worker: one Float32Array per channel. */
export interface AudioInput {
  channels: Float32Array[];
  sampleRate: number;
}

/** The sampling settings of a job, already validated by resolveGenerationParams. */
export interface JobParams {
  duration: number;
  topK: number;
  topP: number;
  temperature: number;
  cfgCoef: number;
  extendStride: number;
  seed: number;
}

export interface WorkerJob {
  jobId: string;
  /** The model's id on the page (recorded in params.json). */
  model: string;
  /** Folder (inside the app's temporary folder) the worker writes the job's files into. */
  outDir: string;
  description: string;
  samples: number;
  params: JobParams;
  melody: AudioInput | null;
  continuation: AudioInput | null;
}

export interface SampleFiles {
  wav: string;
  waveform: string;
  spectrogram: string;
  durationS: number;
  /** Chroma match rate of this sample against the melody (0-1), when a melody was given. */
  chromaMatchRate: number | null;
}

export interface WorkerResult {
  samples: SampleFiles[];
  /** The melody's chromagram picture, when a melody was given. */
  melodyChroma: string | null;
  /** Everything the library ran with, seed included (also written as params.json). */
  params: Record<string, unknown>;
  paramsFile: string;
  sampleRate: number;
  timings: { loadMs: number; generateMs: number; postprocessMs: number };
}

export type ToWorker = { type: 'run'; job: WorkerJob } | { type: 'abort'; jobId: string };

export type FromWorker =
  | { type: 'loading'; jobId: string }
  | { type: 'progress'; jobId: string; done: number; total: number }
  /** After the last decoder step: the audio is being decoded and its files written. */
  | { type: 'decoding'; jobId: string }
  | { type: 'done'; jobId: string; result: WorkerResult }
  | { type: 'aborted'; jobId: string }
  /** internal: not one of our typed errors; the message is for the server log only. */
  | { type: 'failed'; jobId: string; message: string; internal: boolean };

/** What the worker is started with (workerData). */
export interface WorkerInit {
  modelDir: string;
  dtype: string;
  /** onnxruntime intra-op threads; absent = every core. */
  threads?: number;
}
