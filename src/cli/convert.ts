import type { Command } from 'commander';
import { convertCheckpoint, DECODER_LAYOUT_CHOICES, OUTPUT_DTYPES } from '../convert/modelFolder.js';
import { ProgressBar } from './progressBar.js';

/** `musicgen convert <checkpoint-dir> <out-dir>`: HF safetensors checkpoint -> ONNX model folder. */
export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a Hugging Face MusicGen checkpoint (config.json + safetensors) into an ONNX model folder')
    .argument('<checkpoint-dir>', 'folder with config.json and model.safetensors (or sharded safetensors)')
    .argument('<out-dir>', 'model folder to create')
    .option('--dtype <dtype>', `decoder precision: ${OUTPUT_DTYPES.join(' | ')}`, 'fp32')
    .option('--decoder-layout <layout>', `decoder graphs to write: ${DECODER_LAYOUT_CHOICES.join(' | ')} (both = also the transformers.js merged decoder)`, 'kvbuffer')
    .option('--force', 'replace the output folder if it exists', false)
    .action((checkpointDir: string, outDir: string, opts: { dtype: string; decoderLayout: string; force: boolean }) => {
      const bar = new ProgressBar('convert');
      const result = convertCheckpoint(checkpointDir, outDir, {
        dtype: opts.dtype,
        decoderLayout: opts.decoderLayout,
        force: opts.force,
        progress: (done, total, stage) => bar.update(done, total, stage),
      });
      bar.finish();
      process.stdout.write(`wrote ${result.dir} (${result.config.modelType}, ${result.files.length} files)\n`);
    });
}
