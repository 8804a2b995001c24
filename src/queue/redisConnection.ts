import { Redis } from 'ioredis';
import { QueueConnectionError } from './errors.js';
import type { QueueTarget } from './queueUrl.js';

export interface RedisConnectOptions {
  /** How long to keep retrying an unreachable Redis (at start and after a drop) before giving up. */
  timeoutMs: number;
  log: (message: string) => void;
}

/** Error text from ioredis, which never holds the password; AUTH failures get a hint. */
function describeError(err: Error | null): string {
  if (!err) return 'connection closed';
  const m = err.message;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(m)) return `${m} (check the password in the --queue URL)`;
  return m;
}

/**
 * An ioredis connection for BullMQ: commands wait while Redis is away (BullMQ's workers need
 * `maxRetriesPerRequest: null`), reconnecting with a capped backoff, but only for `timeoutMs`:
 * then the connection ends, waiting commands fail, and `lost` rejects with a clear error, so no
 * caller ever hangs silently. Resolves once the first connection is ready.
 */
export async function connectRedis(
  target: QueueTarget,
  opts: RedisConnectOptions,
): Promise<{ redis: Redis; lost: Promise<never> }> {
  let downSince: number | null = null;
  let lastError: Error | null = null;
  let wasReady = false;
  let warned = false;
  const seconds = Math.round(opts.timeoutMs / 1000);
  const redis = new Redis({
    ...target.options,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: Math.min(opts.timeoutMs, 10_000),
    retryStrategy: (times) => {
      downSince ??= Date.now();
      if (Date.now() - downSince > opts.timeoutMs) return null;
      if (!warned) {
        warned = true;
        opts.log(`Redis at ${target.display} ${wasReady ? 'went away' : 'is unreachable'} (${describeError(lastError)}); retrying for up to ${seconds} s\n`);
      }
      return Math.min(250 * times, 2000);
    },
  });
  redis.on('error', (err: Error) => {
    lastError = err;
  });
  redis.on('ready', () => {
    if (wasReady && downSince !== null) opts.log(`Redis at ${target.display} is back\n`);
    wasReady = true;
    downSince = null;
    warned = false;
  });
  const lost = new Promise<never>((_, reject) => {
    redis.once('end', () => {
      reject(
        new QueueConnectionError(
          `${wasReady ? 'lost' : 'cannot reach'} Redis at ${target.display} for more than ${seconds} s (${describeError(lastError)}); ` +
            `start it (redis-server --appendonly yes) or check the --queue URL, then run the same command again`,
        ),
      );
    });
  });
  lost.catch(() => undefined);
  redis.connect().catch(() => undefined);
  await Promise.race([new Promise<void>((resolve) => redis.once('ready', () => resolve())), lost]);
  return { redis, lost };
}
