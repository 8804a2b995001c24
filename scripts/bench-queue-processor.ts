// Sandboxed processor of scripts/bench-queue.ts: answers every job at once with a result of the
// size a real batch has (BENCH_QUEUE_ITEMS samples of 10 s, 500 frames of 4 codebooks), so the
// job's time is all queue and transfer overhead.
import type { SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { batchDataKey, encodeBatchResult } from '../src/queue/batchJob.js';

const items = Number(process.env.BENCH_QUEUE_ITEMS ?? 1);
const sr = 32000;
let seed = 1;
const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const redis = new Redis({ host: '127.0.0.1', port: Number(process.env.BENCH_QUEUE_PORT) });
const batch = {
    codes: Array.from({ length: items }, () => Array.from({ length: 4 }, () => Int32Array.from({ length: 500 }, (_, i) => (i * 37) % 2048))),
    audio: Array.from({ length: items }, () => [Float32Array.from({ length: 10 * sr }, rand)]),
    sampleRate: sr,
    frames: 500,
    params: {} as never,
    items: Array.from({ length: items }, () => ({ useSampling: true, topK: 250, topP: 0, temperature: 1, cfgCoef: 3, seed: 0 })),
    timings: { openMs: 0, textEncoderMs: 0, decoderMs: 0, codecMs: 0, decoderCalls: 0 },
};
const result = (key: string) => encodeBatchResult(
  batch,
  { wallMs: 0, peakRssBytes: 0, maxRssBytes: 0, worker: 'bench' },
  key,
);

/** As src/queue/batchProcessor.ts: the codes and audio into Redis, the rest as the return value. */
export default async function answer(job: SandboxedJob): Promise<unknown> {
  const t0 = performance.now();
  const { value, data } = result(batchDataKey(job.id));
  const t1 = performance.now();
  await redis.set(value.data.key, data, 'EX', 3600);
  if (process.env.BENCH_QUEUE_VERBOSE) process.stderr.write(`encode ${(t1 - t0).toFixed(0)} ms, SET ${(performance.now() - t1).toFixed(0)} ms\n`);
  return value;
}
