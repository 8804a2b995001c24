import { basename } from 'node:path';
import type { Command } from 'commander';
import { MusicgenError } from '../errors.js';
import type { SweepSpec } from '../analysis/sweepSpec.js';
import { addSweepRunFlags, runSweepCommand, type SweepRunFlags } from './sweep.js';

export interface CompareFlags extends SweepRunFlags {
  models: string;
  prompt: string[];
  cfg?: string;
  seeds?: string;
  duration?: string;
  topK?: string;
  topP?: string;
  temperature?: string;
  melody?: string;
  name?: string;
}

/** "1,3,5" -> [1, 3, 5], with the flag named in errors. */
export function numberList(flag: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim());
  return parts.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n)) throw new MusicgenError(`${flag} must be comma-separated numbers, e.g. 1,3,5 (got "${value}")`);
    return n;
  });
}

/** `--models small=/m/small,/m/medium` -> [{name: small, path}, {path}]. */
function modelList(value: string): SweepSpec['models'] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new MusicgenError('--models needs at least one model folder, e.g. --models models/small,models/medium');
  return items.map((item) => {
    const eq = item.indexOf('=');
    return eq > 0 ? { name: item.slice(0, eq), path: item.slice(eq + 1) } : { name: basename(item.replace(/[\\/]+$/, '')), path: item };
  });
}

/** The sweep spec `musicgen compare` runs: models x CFG coefficients x seeds on the given prompts. */
export function compareSpec(flags: CompareFlags): SweepSpec {
  if (!flags.prompt || flags.prompt.length === 0) throw new MusicgenError('give at least one --prompt "description"');
  const spec: SweepSpec = {
    name: flags.name ?? 'compare',
    models: modelList(flags.models),
    prompts: flags.prompt.map((text) => (flags.melody ? { text, melody: flags.melody } : text)),
    cfgCoef: numberList('--cfg', flags.cfg) ?? [3],
    seeds: numberList('--seeds', flags.seeds) ?? [0, 1, 2],
    duration: numberList('--duration', flags.duration)?.[0] ?? 5,
  };
  const topK = numberList('--top-k', flags.topK);
  const topP = numberList('--top-p', flags.topP);
  const temperature = numberList('--temperature', flags.temperature);
  if (topK) spec.topK = topK;
  if (topP) spec.topP = topP;
  if (temperature) spec.temperature = temperature;
  return spec;
}

/** `musicgen compare --models A,B,C [--cfg 1,3,5] --prompt ... --out DIR`. */
export function register(program: Command): void {
  addSweepRunFlags(
    program
      .command('compare')
      .description('compare model sizes and CFG coefficients: a sweep over --models x --cfg x --seeds with report.html')
      .requiredOption('--models <list>', 'comma-separated model folders (name=folder to name them)')
      .option('--prompt <text>', 'a description (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--cfg <list>', 'CFG coefficients, e.g. 1,3,5 (default 3)')
      .option('--seeds <list>', 'seeds (default 0,1,2)')
      .option('--duration <seconds>', 'seconds per sample (default 5)')
      .option('--top-k <list>', 'top-k values (default 250)')
      .option('--top-p <list>', 'top-p values (default 0)')
      .option('--temperature <list>', 'temperatures (default 1)')
      .option('--melody <file>', 'melody for every prompt (conditions melody models; chroma match measured for all)')
      .option('--name <name>', 'sample-set name (default "compare")'),
  ).action(async (flags: CompareFlags) => {
    const result = await runSweepCommand(compareSpec(flags), flags);
    process.stdout.write(`${result.outDir}\n`);
  });
}
