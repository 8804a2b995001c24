import type { Command } from 'commander';
import { DECODER_LAYOUT_CHOICES, OUTPUT_DTYPES, synthesizeModel } from '../convert/modelFolder.js';
import { PRESET_NAMES } from '../convert/presets.js';
import { MusicgenError } from '../errors.js';
import { ProgressBar } from './progressBar.js';

/** `musicgen synth --preset <name> <out-dir>`: a seeded random model of a real architecture. */
export function register(program: Command): void {
  program
    .command('synth')
    .description('build an ONNX model folder with seeded random weights (tests, speed and memory comparisons)')
    .argument('<out-dir>', 'model folder to create')
    .requiredOption('--preset <name>', `architecture: ${PRESET_NAMES.join(' | ')}`)
    .option('--seed <n>', 'weight seed', '0')
    .option('--dtype <dtype>', `decoder precision: ${OUTPUT_DTYPES.join(' | ')}`, 'fp32')
    .option('--decoder-layout <layout>', `decoder graphs to write: ${DECODER_LAYOUT_CHOICES.join(' | ')} (both = also the transformers.js merged decoder)`, 'kvbuffer')
    .option('--force', 'replace the output folder if it exists', false)
    .action((outDir: string, opts: { preset: string; seed: string; dtype: string; decoderLayout: string; force: boolean }) => {
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) {
        throw new MusicgenError(`--seed must be a non-negative integer (got "${opts.seed}")`);
      }
      const bar = new ProgressBar(`synth ${opts.preset}`);
      const result = synthesizeModel(opts.preset, outDir, {
        seed,
        dtype: opts.dtype,
        decoderLayout: opts.decoderLayout,
        force: opts.force,
        progress: (done, total, stage) => bar.update(done, total, stage),
      });
      bar.finish();
      process.stdout.write(`wrote ${result.dir} (random weights, preset ${opts.preset}, seed ${seed})\n`);
    });
}
