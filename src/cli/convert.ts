import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConversionError, OutputExistsError } from '../convert/errors.js';
import { hasMergedDecoder, kvbufferFromMerged } from '../convert/kvbufferFromMerged.js';
import { convertCheckpoint, DECODER_LAYOUT_CHOICES, OUTPUT_DTYPES } from '../convert/modelFolder.js';
import { ProgressBar } from './progressBar.js';

interface ConvertCliOptions {
  dtype?: string;
  decoderLayout: string;
  force: boolean;
}

/**
 * A transformers.js ONNX folder (merged decoder only): builds our kvbuffer decoder in place, or in
 * a copy at `outDir` (assembled beside it and renamed, so a failure leaves no folder).
 */
function convertOnnxFolder(src: string, outDir: string | undefined, opts: ConvertCliOptions, bar: ProgressBar): string {
  const progress = (done: number, total: number, stage: string): void => bar.update(done, total, stage);
  const dtypes = opts.dtype ? [opts.dtype] : undefined;
  if (!outDir) {
    kvbufferFromMerged(src, { dtypes, force: opts.force, progress });
    return resolve(src);
  }
  const target = resolve(outDir);
  if (existsSync(target) && !opts.force) throw new OutputExistsError(`output folder ${target} already exists; pass --force to replace it`);
  const tmp = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Date.now()}`);
  try {
    cpSync(src, tmp, { recursive: true });
    kvbufferFromMerged(tmp, { dtypes, force: true, progress });
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/**
 * `musicgen convert <checkpoint-dir> <out-dir>`: HF safetensors checkpoint -> ONNX model folder.
 * `musicgen convert <onnx-dir> [out-dir]`: a transformers.js folder (e.g. Xenova/musicgen-small)
 * gets our fast kvbuffer decoder, built from its merged decoder's weights.
 */
export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a Hugging Face MusicGen checkpoint (config.json + safetensors) into an ONNX model folder, or give a transformers.js ONNX folder our fast decoder')
    .argument('<source-dir>', 'checkpoint folder (config.json + model.safetensors, or sharded), or an ONNX folder with onnx/decoder_model_merged*.onnx')
    .argument('[out-dir]', 'model folder to create (required for a checkpoint; for an ONNX folder, default: add the decoder in place)')
    .option('--dtype <dtype>', `decoder precision: ${OUTPUT_DTYPES.join(' | ')} (checkpoint default fp32; ONNX folder default: every merged decoder it has)`)
    .option('--decoder-layout <layout>', `decoder graphs to write from a checkpoint: ${DECODER_LAYOUT_CHOICES.join(' | ')} (both = also the transformers.js merged decoder)`, 'kvbuffer')
    .option('--force', 'replace the output folder (or the kvbuffer decoder) if it exists', false)
    .action((sourceDir: string, outDir: string | undefined, opts: ConvertCliOptions) => {
      const bar = new ProgressBar('convert');
      const checkpoint = existsSync(sourceDir) && readdirSync(sourceDir).some((f) => f.endsWith('.safetensors'));
      if (!checkpoint && hasMergedDecoder(sourceDir)) {
        const dir = convertOnnxFolder(sourceDir, outDir, opts, bar);
        bar.finish();
        process.stdout.write(`${dir} now has the kvbuffer decoder; generate uses it by default\n`);
        return;
      }
      if (!outDir) throw new ConversionError(`give the folder to create: musicgen convert ${sourceDir} <out-dir>`);
      const result = convertCheckpoint(sourceDir, outDir, {
        dtype: opts.dtype,
        decoderLayout: opts.decoderLayout,
        force: opts.force,
        progress: (done, total, stage) => bar.update(done, total, stage),
      });
      bar.finish();
      process.stdout.write(`wrote ${result.dir} (${result.config.modelType}, ${result.files.length} files)\n`);
    });
}
