import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AbortError } from '../inference/errors.js';
import { abortableSleep } from './abortableSleep.js';
import { QUEUE_NAME } from './batchJob.js';
import { QueueConnectionError, QueueJobError } from './errors.js';
import { parseQueueUrl } from './queueUrl.js';
import { connectRedis } from './redisConnection.js';

/**
 * A collector's session with the queue (the sweep executor's, the queued evaluation's): connects
 * to Redis with bounded retries, runs `collect` on the jobs queue, and turns a Redis that gave up
 * mid-command into the connection's clear message. The queue and connection are closed however
 * `collect` ends; the close is bounded, as Redis may be what is gone.
 */
export async function withCollectorQueue<T>(
  queueUrl: string,
  opts: { redisTimeoutMs?: number; log: (message: string) => void },
  collect: (queue: Queue, redis: Redis, display: string) => Promise<T>,
): Promise<T> {
  const target = parseQueueUrl(queueUrl);
  const { redis, lost } = await connectRedis(target, { timeoutMs: opts.redisTimeoutMs ?? 120_000, log: opts.log });
  const queue = new Queue(QUEUE_NAME, { connection: redis });
  queue.on('error', () => undefined);
  try {
    return await Promise.race([collect(queue, redis, target.display), lost]);
  } catch (err) {
    if (err instanceof QueueConnectionError || err instanceof QueueJobError || err instanceof AbortError) throw err;
    // Redis gave up mid-command: `lost` holds the clear message.
    const why = await Promise.race([lost.catch((e: Error) => e), abortableSleep(0).then(() => null)]);
    throw why ?? err;
  } finally {
    await Promise.race([queue.close().catch(() => undefined), abortableSleep(2000)]);
    redis.disconnect();
  }
}
