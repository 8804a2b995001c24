import { MusicGen, type LoadOptions } from '../inference/musicgen.js';
import { fetchModel, type FetchedModel, type FetchModelOptions } from './fetchModel.js';

/** Where to fetch from (FetchModelOptions) and how to load: threads, releaseTextEncoder (LoadOptions). */
export interface PretrainedOptions extends FetchModelOptions, Pick<LoadOptions, 'threads' | 'releaseTextEncoder'> {}

/**
 * MusicGen.fromPretrained: downloads a hub repository into the cache (or reuses it), converting a
 * safetensors checkpoint when the repository has no ONNX folder, then loads it.
 */
export async function loadPretrained(repoId: string, opts: PretrainedOptions = {}): Promise<MusicGen> {
  return (await loadPretrainedWithInfo(repoId, opts)).model;
}

/** As loadPretrained, also saying where the folder is and whether it came from the cache. */
export async function loadPretrainedWithInfo(
  repoId: string,
  opts: PretrainedOptions = {},
): Promise<{ model: MusicGen; fetched: FetchedModel }> {
  const fetched = await fetchModel(repoId, opts);
  const model = await MusicGen.load(fetched.dir, { dtype: fetched.dtype, threads: opts.threads, releaseTextEncoder: opts.releaseTextEncoder });
  return { model, fetched };
}
