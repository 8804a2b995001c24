import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { cacheDir } from '../cacheDir.js';
import { startSweepWorker } from '../queue/sweepWorker.js';
import { endWithParent } from '../endWithParent.js';
import { isHubAllowEntry } from '../queue/allowedModels.js';
import { QUEUE_ENV } from './sweep.js';
import { mallocMode } from './mallocTunables.js';
import { intArg, numberArg } from './numberArgs.js';

interface WorkerFlags {
  queue: string;
  threads?: number;
  concurrency: number;
  allowModels?: string;
  lockDuration: number;
  redisTimeout: number;
}

/**
 * `musicgen worker --queue redis://...`: runs sweep batches from the queue until stopped. SIGTERM
 * or Ctrl-C finishes the running job, then exits; a second one hands the job back at once.
 */
export async function runWorker(flags: WorkerFlags): Promise<void> {
  const log = (m: string): void => {
    process.stderr.write(m);
  };
  // The relaunched command (malloc tunables) dies with its launcher: a `kill -9` of the pid the
  // user sees must not leave a worker holding jobs, nor let it finish one another worker now runs,
  // so at once rather than through SIGTERM's finish-the-running-job.
  if (mallocMode() === 'active') endWithParent({ graceMs: 0 });
  // Folders become absolute; hub ids (owner/name, owner/*) stay as they are.
  const allowModels = (flags.allowModels ? flags.allowModels.split(',') : [process.cwd(), cacheDir()])
    .map((d) => d.trim())
    .map((d) => (isHubAllowEntry(d) ? d : resolve(d)));
  const worker = await startSweepWorker({
    queue: flags.queue,
    threads: flags.threads,
    concurrency: flags.concurrency,
    allowModels,
    lockDurationMs: flags.lockDuration,
    redisTimeoutMs: flags.redisTimeout * 1000,
    log,
  });
  await new Promise<void>((done, fail) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) {
        log('handing the running job back to the queue and exiting\n');
        void worker.close(true).then(done, fail);
        return;
      }
      stopping = true;
      log('finishing the running job, then exiting (send the signal again to hand it back now)\n');
      void worker.close().then(done, fail);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    worker.lost.catch(fail);
  });
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run sweep batches from a Redis queue (README "Scaling out"); start one per machine or core budget')
    .addOption(new Option('--queue <url>', 'Redis URL: redis://[:password@]host:port[/db]').env(QUEUE_ENV).makeOptionMandatory())
    .option('--threads <n>', 'onnxruntime intra-op threads per job (default: all cores)', intArg('--threads', 1, 256))
    .option('--concurrency <n>', 'jobs at once, each in its own process with its own model', intArg('--concurrency', 1, 64), 1)
    .option(
      '--allow-models <list>',
      'comma-separated folders whose model folders jobs may name, and hub models jobs may fetch into this machine\'s cache (owner/name or owner/*; write a folder with one slash as ./a/b). Default: the working folder and the musicgen cache, no hub models',
    )
    .option('--lock-duration <ms>', "how long a job stays locked without renewal: a killed worker's job moves on about this long after", intArg('--lock-duration', 1000, 3_600_000), 30_000)
    .option('--redis-timeout <s>', 'give up when Redis stays unreachable this long', numberArg('--redis-timeout', 1, 86_400), 120)
    .action(async (flags: WorkerFlags) => {
      try {
        await runWorker(flags);
      } catch (err) {
        // Exit now: the worker's timers and sandbox children would otherwise keep the process up
        // (the children exit on their own once this process is gone).
        process.stderr.write(`musicgen: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      }
    });
}
