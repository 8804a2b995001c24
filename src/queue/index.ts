// `musicgen-ts/queue`: sweeps and evaluations spread over BullMQ workers on Redis (README "Scaling out").
export { runSweepOnQueue, type QueuedSweepOptions } from './queuedSweep.js';
export { evaluateOnQueue, type QueuedEvaluationOptions } from './queuedEvaluation.js';
export { queueExecutor, type QueueExecutorOptions } from './queueExecutor.js';
export { startSweepWorker, type SweepWorkerHandle, type SweepWorkerOptions } from './sweepWorker.js';
export { parseQueueUrl, redactUrl, type QueueTarget } from './queueUrl.js';
export { BATCH_FORMAT_VERSION, QUEUE_NAME, batchJobId, type BatchJobPayload, type BatchJobResult } from './batchJob.js';
export { JobPayloadError, QueueConnectionError, QueueJobError, QueueUrlError } from './errors.js';
