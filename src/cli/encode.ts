import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CodecEncoder } from '../evaluation/codecEncoder.js';
import { DEFAULT_MIN_SEGMENT_SECONDS, DEFAULT_SEGMENT_SECONDS } from '../evaluation/dataset.js';
import { encodeDataset, type EncodeDatasetResult } from '../evaluation/encodeDataset.js';
import { intArg, numberArg } from './numberArgs.js';
import { ProgressBar } from './progressBar.js';

export interface EncodeCliOptions {
  model: string;
  out: string;
  segment?: number;
  minSegment?: number;
  dtype?: string;
  threads?: number;
  quiet?: boolean;
}

/** `musicgen encode`: the dataset's EnCodec codes into a token cache, with a progress bar; Ctrl-C stops between segments. */
export async function runEncode(dataset: string, o: EncodeCliOptions): Promise<EncodeDatasetResult> {
  const encoder = CodecEncoder.open(o.model, { dtype: o.dtype, threads: o.threads });
  const bar = o.quiet ? null : new ProgressBar('encode');
  const controller = new AbortController();
  const onSigint = (): void => {
    if (!o.quiet) process.stderr.write('\nstopping after the current segment; run the same command again to resume\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await encodeDataset(dataset, encoder, {
      out: resolve(o.out),
      segment: o.segment,
      minSegment: o.minSegment,
      signal: controller.signal,
      progress: (p) => bar?.update(p.doneItems, p.totalItems, `items, ${p.encoded} segments encoded, ${p.skipped} cached`),
    });
    bar?.finish();
    if (!o.quiet) {
      const stale = result.removedTemporaries ? `, ${result.removedTemporaries} leftover temporary file(s) removed` : '';
      process.stderr.write(`${result.encoded.length} segment(s) encoded, ${result.skipped.length} already cached, from ${result.items} item(s)${stale}\n`);
    }
    return result;
  } finally {
    process.off('SIGINT', onSigint);
    await encoder.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('encode')
    .description('EnCodec tokens of every segment of a dataset into a token cache (<id>.codes.npy + <id>.json), resumable')
    .argument('<dataset>', 'folder of audio files (with AudioCraft .json metadata beside them) or a data.jsonl(.gz) manifest')
    .requiredOption('--model <dir>', 'model folder whose onnx/encodec_encode makes the codes')
    .requiredOption('--out <dir>', 'token cache folder')
    .option('--segment <seconds>', `segment length (default ${DEFAULT_SEGMENT_SECONDS}, the decoder's context)`, numberArg('--segment', 0.1, DEFAULT_SEGMENT_SECONDS))
    .option('--min-segment <seconds>', `drop a last remainder shorter than this (default ${DEFAULT_MIN_SEGMENT_SECONDS})`, numberArg('--min-segment', 0.02, DEFAULT_SEGMENT_SECONDS))
    .option('--dtype <dtype>', 'precision of the folder to read (EnCodec itself is always fp32)')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)', intArg('--threads', 1, 1024))
    .option('--quiet', 'no progress output')
    .action(async (dataset: string, o: EncodeCliOptions) => {
      await runEncode(dataset, o);
      process.stdout.write(`${resolve(o.out)}\n`);
    });
}
