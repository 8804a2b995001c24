import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConversionError, OutputExistsError } from '../convert/errors.js';
import { hasConvertibleDecoder, upgradeOnnxFolder, type DecoderUpgrade } from '../convert/upgradeOnnxFolder.js';
import { convertCheckpoint, DECODER_LAYOUT_CHOICES, OUTPUT_DTYPES } from '../convert/modelFolder.js';
import { ProgressBar } from './progressBar.js';

interface ConvertCliOptions {
  dtype?: string;
  decoderLayout: string;
  force: boolean;
}

/**
 * An ONNX folder: a transformers.js one (merged decoder only) gets our kvbuffer decoder, and one
 * whose kvbuffer decoder keeps its weights inside the .onnx file (older musicgen-ts) gets them
 * moved to `_data`; in place, or in a copy at `outDir` (assembled beside it and renamed, so a
 * failure leaves no folder).
 */
function convertOnnxFolder(src: string, outDir: string | undefined, opts: ConvertCliOptions, bar: ProgressBar): { dir: string; done: DecoderUpgrade[] } {
  const progress = (done: number, total: number, stage: string): void => bar.update(done, total, stage);
  const dtypes = opts.dtype ? [opts.dtype] : undefined;
  if (!outDir) return { dir: resolve(src), done: upgradeOnnxFolder(src, { dtypes, force: opts.force, progress }) };
  const target = resolve(outDir);
  if (existsSync(target) && !opts.force) throw new OutputExistsError(`output folder ${target} already exists; pass --force to replace it`);
  const tmp = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Date.now()}`);
  try {
    cpSync(src, tmp, { recursive: true });
    const done = upgradeOnnxFolder(tmp, { dtypes, force: opts.force, progress });
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    return { dir: target, done };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const SAID: Record<DecoderUpgrade['action'], string> = {
  built: 'now has the kvbuffer decoder; generate uses it by default',
  mapped: "kvbuffer decoder now keeps its weights in a side file (.onnx_data) that onnxruntime maps: it opens 2-3x faster",
  current: 'kvbuffer decoder is already in the current layout; nothing to do (--force rebuilds it from the merged decoder)',
};

/**
 * `musicgen convert <checkpoint-dir> <out-dir>`: HF safetensors checkpoint -> ONNX model folder.
 * `musicgen convert <onnx-dir> [out-dir]`: a transformers.js folder (e.g. Xenova/musicgen-small)
 * gets our fast kvbuffer decoder, built from its merged decoder's weights.
 */
export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a Hugging Face MusicGen checkpoint (config.json + safetensors) into an ONNX model folder, or give an ONNX folder our fast decoder in its current layout')
    .argument('<source-dir>', 'checkpoint folder (config.json + model.safetensors, or sharded), or an ONNX folder with onnx/decoder_model_merged*.onnx or an older decoder_model_kvbuffer*.onnx')
    .argument('[out-dir]', 'model folder to create (required for a checkpoint; for an ONNX folder, default: add the decoder in place)')
    .option('--dtype <dtype>', `decoder precision: ${OUTPUT_DTYPES.join(' | ')} (checkpoint default fp32; ONNX folder default: every merged decoder it has)`)
    .option('--decoder-layout <layout>', `decoder graphs to write from a checkpoint: ${DECODER_LAYOUT_CHOICES.join(' | ')} (both = also the transformers.js merged decoder)`, 'kvbuffer')
    .option('--force', 'replace the output folder (or rebuild the kvbuffer decoder from the merged one) if it exists', false)
    .action((sourceDir: string, outDir: string | undefined, opts: ConvertCliOptions) => {
      const bar = new ProgressBar('convert');
      const checkpoint = existsSync(sourceDir) && readdirSync(sourceDir).some((f) => f.endsWith('.safetensors'));
      if (!checkpoint && hasConvertibleDecoder(sourceDir)) {
        const { dir, done } = convertOnnxFolder(sourceDir, outDir, opts, bar);
        bar.finish();
        for (const d of done) process.stdout.write(`${dir} (${d.dtype}): ${SAID[d.action]}\n`);
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
