/**
 * Queue and transfer overhead of sweeps on BullMQ workers (README "Scaling out"):
 *
 *   npx tsx scripts/bench-queue.ts
 *
 * Starts a throwaway redis-server (appendonly, as a study runs it) and one sandboxed worker whose
 * processor answers at once with a result of a real batch's size (1 or 16 samples of 10 s), then
 * times N jobs through it: enqueue, fetch, the result over the child's IPC and into Redis, and the
 * collector's read and decode. Every millisecond measured is overhead a real job adds to its
 * generation time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { decodeBatchResult, type BatchJobResult } from '../src/queue/batchJob.js';

const JOBS = 8;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
process.env.BENCH_QUEUE_PORT = String(port);
const { Redis } = await import('ioredis');
const client = new Redis(connection);

console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const items of [1, 16]) {
  process.env.BENCH_QUEUE_ITEMS = String(items);
  const name = `bench-${items}`;
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, join(import.meta.dirname, 'bench-queue-processor.ts'), { connection, useWorkerThreads: false });
  await worker.waitUntilReady();
  // One warm-up job starts the sandbox child (its start-up is paid once per worker, not per job).
  const warm = await queue.add('b', {});
  while ((await queue.getJobState(warm.id!)) !== 'completed') await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const jobs = await Promise.all(Array.from({ length: JOBS }, () => queue.add('b', { payload: 'x'.repeat(2000) })));
  for (const j of jobs) while ((await queue.getJobState(j.id!)) !== 'completed') await new Promise((r) => setTimeout(r, 5));
  const workerMs = (performance.now() - t0) / JOBS;
  const t1 = performance.now();
  let bytes = 0;
  for (const j of jobs) {
    const job = (await queue.getJob(j.id!))!;
    const value = job.returnvalue as BatchJobResult;
    const data = (await client.getBuffer(value.data.key))!;
    bytes += data.length + JSON.stringify(value).length;
    decodeBatchResult(value, data, items, j.id!);
    await client.del(value.data.key);
    await job.remove();
  }
  const collectMs = (performance.now() - t1) / JOBS;
  console.log(
    `${items} x 10 s per job: ${(bytes / JOBS / 2 ** 20).toFixed(1)} MB result; worker side ${workerMs.toFixed(0)} ms/job ` +
      `(fetch, IPC from the sandbox, write to Redis), collector ${collectMs.toFixed(0)} ms/job (read, decode, remove)`,
  );
  await worker.close();
  await queue.close();
}
client.disconnect();
redis.kill('SIGTERM');
await new Promise((r) => redis.once('exit', r));
rmSync(dir, { recursive: true, force: true });
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
