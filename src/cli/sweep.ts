import type { Command } from 'commander';
import { MusicgenError } from '../errors.js';
import { runSweep, type SweepProgress, type SweepRunResult } from '../analysis/sweepRunner.js';
import { writeSweepReport } from '../analysis/sweepReport.js';
import { loadSweepSpec, type ResolvedSweepSpec, type SweepSpec } from '../analysis/sweepSpec.js';
import { runSweepOnQueue } from '../queue/queuedSweep.js';
import { fetchSweepModel } from '../hub/sweepModel.js';
import { ProgressBar } from './progressBar.js';

/** The environment variable `--queue` without a URL reads (keeps the password out of `ps`). */
export const QUEUE_ENV = 'MUSICGEN_QUEUE';

/** The `--queue` flag's URL, or MUSICGEN_QUEUE for a bare `--queue`. */
export function queueUrl(flag: string | true | undefined): string | undefined {
  if (flag !== true) return flag;
  const url = process.env[QUEUE_ENV];
  if (!url) throw new MusicgenError(`--queue without a URL reads ${QUEUE_ENV}, which is not set; export ${QUEUE_ENV}=redis://[:password@]host:port[/db] or pass the URL`);
  return url;
}

/** Flags shared by `musicgen sweep` and `musicgen compare`. */
export interface SweepRunFlags {
  out: string;
  maxBatch?: string;
  memoryBudget?: string;
  threads?: string;
  report?: boolean;
  quiet?: boolean;
  /** Redis URL (true: read QUEUE_ENV): run the batches on `musicgen worker`s instead of here. */
  queue?: string | true;
  redisTimeout?: string;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new MusicgenError(`${flag} must be a positive number (got "${value}")`);
  return n;
}

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  const n = positiveNumber(flag, value);
  if (n !== undefined && !Number.isInteger(n)) throw new MusicgenError(`${flag} must be a whole number (got "${value}")`);
  return n;
}

/**
 * Runs a sweep with a progress bar (decoder steps, with ETA), Ctrl-C stopping between steps
 * (finished samples stay; run the same command again to resume), then writes report.html.
 */
export async function runSweepCommand(spec: SweepSpec | ResolvedSweepSpec, flags: SweepRunFlags, baseDir?: string): Promise<SweepRunResult> {
  // Created at the first decoder step, so the model load does not skew the ETA.
  let bar: ProgressBar | null = null;
  const log = (m: string): void => {
    if (!flags.quiet) process.stderr.write(m);
  };
  const controller = new AbortController();
  const onSigint = (): void => {
    log('\nstopping after the current decoder step; run the same command again to resume\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const budgetMb = positiveNumber('--memory-budget', flags.memoryBudget);
    const common = {
      outDir: flags.out,
      baseDir,
      maxBatch: positiveInteger('--max-batch', flags.maxBatch),
      memoryBudgetBytes: budgetMb === undefined ? undefined : budgetMb * 2 ** 20,
      signal: controller.signal,
      log,
      progress: (p: SweepProgress): void => {
        if (flags.quiet) return;
        bar ??= new ProgressBar('sweep');
        bar.update(p.doneSteps, p.totalSteps, `${p.doneSamples}/${p.totalSamples} samples ${p.model}`);
      },
    };
    const redisTimeout = positiveNumber('--redis-timeout', flags.redisTimeout);
    const queue = queueUrl(flags.queue);
    if (queue && flags.threads !== undefined) {
      // The collector runs no model; each worker machine has its own cores.
      throw new MusicgenError(
        `--threads does nothing with --queue: the workers run the models, each with its own threads (musicgen worker --threads N); remove --threads here and give it to the workers`,
      );
    }
    const result = queue
      ? await runSweepOnQueue(spec, { ...common, queue, redisTimeoutMs: redisTimeout === undefined ? undefined : redisTimeout * 1000 })
      : await runSweep(spec, { ...common, threads: positiveInteger('--threads', flags.threads), prepareModel: (m, i) => fetchSweepModel(m, i, { log: (line) => log(`${line}\n`) }) });
    (bar as ProgressBar | null)?.finish();
    if (flags.report !== false) {
      log('writing report.html\n');
      await writeSweepReport(result.outDir, result.rows, result.spec.name);
    }
    log(`${result.generated.length} generated, ${result.skipped.length} already there, ${result.batches.length} batch(es)\n`);
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function addSweepRunFlags(cmd: Command): Command {
  return cmd
    .option('--out <dir>', 'output folder (samples/, results.csv/json, report.html, manifest.json)', 'sweep-out')
    .option('--max-batch <n>', 'at most this many samples per decoder batch (default 16)')
    .option('--memory-budget <MB>', 'memory the K/V caches of one batch may use (default: half the free memory)')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores); not with --queue, where each worker\'s --threads counts')
    .option('--queue [url]', `run the batches on musicgen workers through Redis: redis://[:password@]host:port[/db], or ${QUEUE_ENV} when no URL follows (README "Scaling out")`)
    .option('--redis-timeout <s>', 'with --queue: give up when Redis stays unreachable this long (default 120)')
    .option('--no-report', 'skip report.html')
    .option('--quiet', 'no progress output');
}

/** `musicgen sweep <spec.json> --out DIR`. */
export function register(program: Command): void {
  addSweepRunFlags(
    program
      .command('sweep')
      .description('run a sampling-parameter sweep from a JSON spec: samples, metrics, results.csv/json, report.html, MOS manifest')
      .argument('<spec>', 'sweep spec (JSON): {models, prompts, topK, topP, temperature, cfgCoef, seeds, duration, ...}'),
  ).action(async (specPath: string, flags: SweepRunFlags) => {
    const result = await runSweepCommand(loadSweepSpec(specPath), flags);
    process.stdout.write(`${result.outDir}\n`);
  });
}
