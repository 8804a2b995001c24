import type { Command } from 'commander';
import { addGenerationFlags, runGenerate, type GenerateCliOptions } from './generate.js';

const DEMO_PROMPTS = ['80s pop track with bassy drums and synth', 'lofi hip hop beat with warm piano chords'];

/** `musicgen demo` (what `npm start` runs): generates two short samples with the default model. */
export function register(program: Command): void {
  addGenerationFlags(program.command('demo').description('generate two short samples with the embedded default model (or --model)')).action(
    async (o: GenerateCliOptions) => {
      const paths = await runGenerate(DEMO_PROMPTS, { ...o, duration: o.duration ?? '5', seed: o.seed ?? '42' });
      process.stdout.write(`\nwrote ${paths.length} samples (wav + JSON sidecar each):\n`);
      for (const p of paths) process.stdout.write(`  ${p}\n`);
      if (!o.model) {
        process.stdout.write(
          '\nThe embedded default model has RANDOM weights: it proves the pipeline, it does not make music.\n' +
            'For music, fetch musicgen-small (downloaded once, converted to the fast int8 decoder) and run:\n' +
            '  node bin/musicgen.js generate "your description" --dtype q8 \\\n' +
            '    --model "$(node bin/musicgen.js fetch facebook/musicgen-small --dtype q8)"\n' +
            '(npx musicgen where the package is installed; a transformers.js folder you have: node bin/musicgen.js convert DIR)\n',
        );
      }
    },
  );
}
