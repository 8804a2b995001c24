// Public API of the generation web app (`musicgen app`).
export { buildAppServer, DEFAULT_MAX_UPLOAD_BYTES, type AppServer, type AppServerOptions } from './server.js';
export { startApp, type RunningApp, type StartAppOptions } from './serve.js';
export { scanModels, DEFAULT_MODEL_ID, type ModelEntry } from './modelCatalog.js';
export { JobManager, type JobEvent, type JobStatus, type PublicResult } from './jobs.js';
export type { GenerationBackend, BackendFactory, ProgressEvent } from './backend.js';
export type { WorkerJob, WorkerResult, JobParams, AudioInput } from './workerProtocol.js';
export { waveformPng } from './waveformImage.js';
export { spectrogramPng } from './spectrogramImage.js';
export { AppError, AppInputError, AppNotFoundError, AppAuthError, AppQueueFullError, AppUploadError, AppWorkerError, JobAbortedError } from './errors.js';
