import { parseModelConfig, type MusicgenModelConfig } from '../model/modelConfig.js';
import { planDownload } from './downloadPlan.js';
import { HubResponseError } from './errors.js';
import { HubClient, type HubClientOptions } from './hubClient.js';
import { parseRepoRef, repoIdOf } from './repoId.js';

export interface HubModelInfo {
  repoId: string;
  /** The commit the revision points at now: what every worker of a queued sweep fetches. */
  commit: string;
  config: MusicgenModelConfig;
}

/** config.json is a few kilobytes; anything far larger is not a MusicGen config. */
const MAX_CONFIG_BYTES = 4 * 2 ** 20;

/**
 * What a collector needs of a hub model without downloading it: the commit its revision points
 * at, its config.json, and a check that the repository has the dtype (as `musicgen fetch` would
 * find it). Errors are the hub's typed errors (RepoNotFoundError, DtypeNotAvailableError, ...).
 */
export async function hubModelInfo(repoId: string, opts: { revision?: string; dtype: string } & HubClientOptions): Promise<HubModelInfo> {
  const ref = parseRepoRef(repoId, opts.revision ?? 'main');
  const client = new HubClient(opts);
  const info = await client.revisionInfo(ref);
  const label = `${repoIdOf(ref)}@${ref.revision}`;
  planDownload(label, info.files, opts.dtype);
  const { response, url } = await client.openFile(ref, info.commit, 'config.json', 0);
  const text = await response.text();
  if (text.length > MAX_CONFIG_BYTES) throw new HubResponseError(`${url}: config.json is ${text.length} bytes; not a MusicGen config`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HubResponseError(`${label}: config.json is not valid JSON (${(e as Error).message})`);
  }
  return { repoId: repoIdOf(ref), commit: info.commit, config: parseModelConfig(raw, `${label}/config.json`) };
}
