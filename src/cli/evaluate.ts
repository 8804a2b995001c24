import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MIN_SEGMENT_SECONDS, DEFAULT_SEGMENT_SECONDS } from '../evaluation/dataset.js';
import { EvaluationInputError } from '../evaluation/errors.js';
import { evaluateModels, evaluationJson, writeEvaluationOutputs, type EvaluateProgress, type EvaluateResult } from '../evaluation/evaluateRun.js';
import { evaluateOnQueue } from '../queue/queuedEvaluation.js';
import { QUEUE_ENV, queueUrl } from './sweep.js';
import { intArg, numberArg } from './numberArgs.js';
import { ProgressBar } from './progressBar.js';

export interface EvaluateCliOptions {
  model: string;
  data?: string;
  tokens?: string;
  unconditional?: boolean;
  out?: string;
  json?: boolean;
  report?: boolean;
  segment?: number;
  minSegment?: number;
  dtype?: string;
  decoderLayout?: string;
  threads?: number;
  quiet?: boolean;
  /** Redis URL (true: read MUSICGEN_QUEUE): score the segments on `musicgen worker`s. */
  queue?: string | true;
  redisTimeout?: number;
}

/**
 * `musicgen evaluate`: teacher-forced cross-entropy / perplexity of each model, a progress bar,
 * Ctrl-C stopping between segments; writes results.csv/json and report.html with --out, one JSON
 * object on stdout with --json, else a short table on stdout.
 */
export async function runEvaluate(o: EvaluateCliOptions): Promise<EvaluateResult> {
  const models = o.model
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (models.length === 0) throw new EvaluationInputError('--model needs at least one model folder (A or A,B,...)');
  if ((o.data === undefined) === (o.tokens === undefined)) {
    throw new EvaluationInputError('give exactly one of --data <dataset> (audio, encoded on the fly) or --tokens <dir> (a musicgen encode cache)');
  }
  const queue = o.queue === undefined ? undefined : queueUrl(o.queue);
  if (queue !== undefined) {
    if (o.data !== undefined) {
      throw new EvaluationInputError(
        '--queue scores a token cache: encode the dataset first (musicgen encode <dataset> --model DIR --out TOKENS), then evaluate --tokens TOKENS --queue',
      );
    }
    if (o.threads !== undefined) {
      throw new EvaluationInputError('--threads does nothing with --queue: the workers run the models, each with its own threads (musicgen worker --threads N); remove --threads here and give it to the workers');
    }
  }
  let bar: ProgressBar | null = null;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const progress = (p: EvaluateProgress): void => {
      if (o.quiet) return;
      bar ??= new ProgressBar('evaluate');
      bar.update(p.done, p.total, `${p.unit} ${p.model}`);
    };
    const log = (m: string): void => {
      if (!o.quiet) process.stderr.write(m);
    };
    const result =
      queue !== undefined
        ? await evaluateOnQueue({
            models,
            tokens: o.tokens!,
            unconditional: o.unconditional,
            dtype: o.dtype,
            decoderLayout: o.decoderLayout,
            signal: controller.signal,
            progress,
            log,
            queue,
            redisTimeoutMs: o.redisTimeout === undefined ? undefined : o.redisTimeout * 1000,
          })
        : await evaluateModels({
            models,
            data: o.data,
            tokens: o.tokens,
            unconditional: o.unconditional,
            segment: o.segment,
            minSegment: o.minSegment,
            dtype: o.dtype,
            decoderLayout: o.decoderLayout,
            threads: o.threads,
            signal: controller.signal,
            progress,
          });
    (bar as ProgressBar | null)?.finish();
    if (o.out) {
      const note = o.unconditional ? 'Every item scored under the null condition (--unconditional).' : 'Text condition: each item\'s metadata description (null condition when it has none).';
      const files = await writeEvaluationOutputs(resolve(o.out), result, { report: o.report, note });
      if (!o.quiet) process.stderr.write(`wrote ${files.join(', ')}\n`);
    }
    if (o.json) process.stdout.write(`${JSON.stringify(evaluationJson(result))}\n`);
    else {
      for (const s of result.summaries) {
        const ci = Number.isFinite(s.ppl.low) ? ` [${s.ppl.low.toFixed(3)}, ${s.ppl.high.toFixed(3)}]` : '';
        const q = s.crossEntropy.map((c, k) => `ce_q${k + 1} ${c.mean.toFixed(4)}`).join('  ');
        process.stdout.write(`${s.model}: ${s.items} segment(s)  ce ${s.ce.mean.toFixed(4)}  ppl ${s.ppl.mean.toFixed(3)}${ci}  ${q}\n`);
      }
    }
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('teacher-forced cross-entropy and perplexity (ce, ppl, ce_q1..ce_qK) of models on a dataset or a token cache')
    .requiredOption('--model <dirs>', 'model folder(s), comma-separated: A or A,B,...')
    .option('--data <dataset>', 'folder of audio files (AudioCraft .json metadata beside them) or a data.jsonl(.gz) manifest')
    .option('--tokens <dir>', 'token cache made by musicgen encode')
    .option('--unconditional', 'score every item under the null condition instead of its metadata description')
    .option('--out <dir>', 'write results.csv, summary.csv, results.json and report.html here')
    .option('--json', 'print one JSON object {items: [{id, frames, crossEntropy, perplexity, ce, ppl, ...}], summary}')
    .option('--no-report', 'with --out: skip report.html')
    .option('--segment <seconds>', `--data: segment length (default ${DEFAULT_SEGMENT_SECONDS})`, numberArg('--segment', 0.1, DEFAULT_SEGMENT_SECONDS))
    .option('--min-segment <seconds>', `--data: drop a last remainder shorter than this (default ${DEFAULT_MIN_SEGMENT_SECONDS})`, numberArg('--min-segment', 0.02, DEFAULT_SEGMENT_SECONDS))
    .option('--dtype <dtype>', 'decoder precision: fp32 (default), q8, ...')
    .option('--decoder-layout <layout>', 'auto (default), kvbuffer or merged')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)', intArg('--threads', 1, 1024))
    .option('--queue [url]', `score the segments of --tokens on musicgen workers through Redis: redis://[:password@]host:port[/db], or ${QUEUE_ENV} when no URL follows (README "Scaling out")`)
    .option('--redis-timeout <s>', 'with --queue: give up when Redis stays unreachable this long (default 120)', numberArg('--redis-timeout', 1, 86_400))
    .option('--quiet', 'no progress output')
    .action(async (o: EvaluateCliOptions) => {
      await runEvaluate(o);
    });
}
