import type { Command } from 'commander';
import { startApp } from '../app/serve.js';
import { closeOnSignal } from '../web/closeOnSignal.js';
import { ensureDefaultModel } from './defaultModel.js';
import { hostOption, portOption } from './listenOptions.js';
import { intArg } from './numberArgs.js';

const print = (line: string): void => void process.stdout.write(`${line}\n`);

/** `musicgen app`: AudioCraft's MusicGen demo as a local web page. */
export function register(program: Command): void {
  program
    .command('app')
    .description('local web page for generation (AudioCraft\'s MusicGen demo); loopback only by default')
    .option('--models <dir>', 'folder whose sub-folders (with config.json) are offered besides the embedded default')
    .addOption(portOption(7860))
    .addOption(hostOption())
    .option('--dtype <dtype>', 'decoder precision (fp32, q8, ...)', 'fp32')
    .option('--threads <n>', 'onnxruntime threads per model (default: every core)', intArg('--threads', 1, 256))
    .option('--queue <n>', 'generations that may wait per model', intArg('--queue', 0, 100), 4)
    .option('--keep-models <n>', 'models kept loaded at once (idle ones are unloaded when another starts)', intArg('--keep-models', 1, 64), 1)
    .option('--max-upload-mb <n>', 'largest melody / continuation upload', intArg('--max-upload-mb', 1, 1024), 20)
    .option('--no-default-model', 'do not offer the embedded tiny random model')
    .action(
      async (o: { models?: string; port: number; host: string; dtype: string; threads?: number; queue: number; keepModels: number; maxUploadMb: number; defaultModel: boolean }) => {
        const running = await startApp({
          modelsDir: o.models ?? null,
          defaultModelDir: o.defaultModel ? ensureDefaultModel((m) => process.stderr.write(m)) : null,
          port: o.port,
          host: o.host,
          dtype: o.dtype,
          threads: o.threads,
          queueLimit: o.queue,
          maxLoadedModels: o.keepModels,
          maxUploadBytes: o.maxUploadMb * 1024 * 1024,
          log: print,
        });
        await closeOnSignal(running);
      },
    );
}
