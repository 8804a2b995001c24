import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { JobPayloadError } from './errors.js';

/**
 * The model folder a job names, resolved through symlinks, when it lies inside one of the roots a
 * worker was started with (`--allow-models`); otherwise a JobPayloadError. A job therefore cannot
 * make a worker open files elsewhere, not even through `..` or a link.
 */
export function allowedModelPath(path: string, allowed: readonly string[]): string {
  const roots = allowed.filter((e) => !isHubAllowEntry(e));
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
  throw new JobPayloadError(`model folder ${path} is outside the folders this worker may load (--allow-models ${roots.join(',') || 'names no folder'}); start the worker with --allow-models naming its parent folder`);
}

/**
 * An `--allow-models` entry that names hub models rather than a folder: `owner/name`, or
 * `owner/*` for every model of an owner. Folders are absolute or start with `.` (`./a/b`), so
 * `models/small` is read as a hub id; write `./models/small` for a folder.
 */
export function isHubAllowEntry(entry: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}\/(\*|[A-Za-z0-9_-][A-Za-z0-9._-]{0,95})$/.test(entry);
}

/** The hub model a job names, when an `--allow-models` entry allows it; otherwise a JobPayloadError. */
export function allowedHubModel(repoId: string, allowed: readonly string[]): string {
  const hubEntries = allowed.filter(isHubAllowEntry);
  const owner = repoId.split('/')[0];
  if (hubEntries.some((e) => e === repoId || e === `${owner}/*`)) return repoId;
  throw new JobPayloadError(
    `hub model ${repoId} is not among the hub models this worker may fetch (${hubEntries.length ? hubEntries.join(', ') : 'none'}); ` +
      `start the worker with --allow-models naming it (e.g. --allow-models ${repoId}, or ${owner}/* for every model of ${owner})`,
  );
}
