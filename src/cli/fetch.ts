import type { Command } from 'commander';
import { MODEL_DTYPE_SUFFIX } from '../model/modelFiles.js';
import { fetchModel } from '../hub/fetchModel.js';
import { ProgressBar } from './progressBar.js';

interface FetchCliOptions {
  dtype: string;
  revision: string;
  cacheDir?: string;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * `musicgen fetch <repo-id>`: downloads a hub model into the cache (resuming, checksummed;
 * safetensors checkpoints are converted) and prints the local folder on stdout, alone on its line,
 * so `--model "$(musicgen fetch …)"` works.
 */
export function register(program: Command): void {
  program
    .command('fetch')
    .description('download a MusicGen model from the Hugging Face hub into the cache (HF_ENDPOINT, HF_TOKEN honoured)')
    .argument('<repo-id>', 'hub model id, e.g. Xenova/musicgen-small (ONNX) or facebook/musicgen-small (converted)')
    .option('--dtype <dtype>', `decoder precision: ${Object.keys(MODEL_DTYPE_SUFFIX).join(' | ')}`, 'fp32')
    .option('--revision <rev>', 'branch, tag or commit sha', 'main')
    .option('--cache-dir <dir>', 'cache root (default MUSICGEN_CACHE_DIR, else ~/.cache/musicgen-ts)')
    .action(async (repoId: string, opts: FetchCliOptions) => {
      const bar = new ProgressBar('fetch');
      let drawn = false;
      const result = await fetchModel(repoId, {
        dtype: opts.dtype,
        revision: opts.revision,
        cacheDir: opts.cacheDir,
        progress: (done, total, file) => {
          drawn = true;
          bar.update(done, total, `${megabytes(done)}/${megabytes(total)} ${file}`);
        },
        log: (message) => process.stderr.write(`${message}\n`),
      });
      if (drawn) bar.finish();
      const how = result.fromCache ? 'cached' : `downloaded ${megabytes(result.downloadedBytes)}`;
      const converted = result.source === 'safetensors' ? ', converted from safetensors' : '';
      process.stderr.write(`${result.repoId}@${result.revision} (${result.dtype}, commit ${result.commit.slice(0, 8)}, ${how}${converted})\n`);
      process.stdout.write(`${result.dir}\n`);
    });
}
