import { Command, InvalidArgumentError } from 'commander';
import { startApp } from '../app/serve.js';
import { ensureDefaultModel } from './defaultModel.js';

const print = (line: string): void => void process.stdout.write(`${line}\n`);

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** `musicgen app`: AudioCraft's MusicGen demo as a local web page. */
export function register(program: Command): void {
  program
    .command('app')
    .description('local web page for generation (AudioCraft\'s MusicGen demo); loopback only by default')
    .option('--models <dir>', 'folder whose sub-folders (with config.json) are offered besides the embedded default')
    .option('--port <port>', 'TCP port (0 = any free port)', intArg('--port', 0, 65535), 7860)
    .option('--host <host>', 'interface to listen on; 0.0.0.0 exposes it to the network', '127.0.0.1')
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
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void running.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
