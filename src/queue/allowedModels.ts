import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { JobPayloadError } from './errors.js';

/**
 * The model folder a job names, resolved through symlinks, when it lies inside one of the roots a
 * worker was started with (`--allow-models`); otherwise a JobPayloadError. A job therefore cannot
 * make a worker open files elsewhere, not even through `..` or a link.
 */
export function allowedModelPath(path: string, roots: readonly string[]): string {
  if (!isAbsolute(path)) throw new JobPayloadError(`model path ${JSON.stringify(path)} is not absolute; the collector sends absolute folders`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new JobPayloadError(
      `model folder ${path} does not exist on this worker; every worker needs the model at the same path (shared storage) or in one of its --allow-models folders`,
    );
  }
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = realpathSync(root);
    } catch {
      continue;
    }
    const rel = relative(realRoot, real);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return real;
  }
  throw new JobPayloadError(`model folder ${path} is outside the folders this worker may load (--allow-models ${roots.join(',')}); start the worker with --allow-models naming its parent folder`);
}
