import * as ort from 'onnxruntime-node';
import { conditioningFeeds, decoderDims, inputIdsTensor } from '../inference/decoderFeeds.js';
import { PAST_LENGTH_INPUT } from '../model/decoderLayout.js';
import { GraphMismatchError } from '../inference/errors.js';
import type { DecoderConditioning } from '../inference/decoderStateTypes.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

/**
 * One decoder call over a whole known sequence, as the first call of generation (empty cache,
 * use_cache_branch false), returning the logits of every position: [rows*K, S, V]. Both decoder
 * layouts return logits for all S new positions (docs/MODEL_FORMAT.md), so a teacher-forced
 * forward is a single run, not S steps; the present K/V outputs are discarded.
 */
export async function teacherForcedLogits(
  session: ort.InferenceSession,
  config: MusicgenModelConfig,
  conditioning: DecoderConditioning,
  ids: ArrayLike<number>,
  steps: number,
): Promise<Float32Array> {
  const d = decoderDims(config);
  const rowsK = conditioning.rows * d.K;
  const empty = new ort.Tensor('float32', new Float32Array(0), [conditioning.rows, d.heads, 0, d.headDim]);
  const feeds: Record<string, ort.Tensor> = {
    ...conditioningFeeds(config, conditioning),
    input_ids: inputIdsTensor(ids, rowsK, steps),
    use_cache_branch: new ort.Tensor('bool', Uint8Array.from([0]), [1]),
  };
  if (session.inputNames.includes(PAST_LENGTH_INPUT)) feeds[PAST_LENGTH_INPUT] = new ort.Tensor('int64', BigInt64Array.of(0n), [1]);
  for (let i = 0; i < d.layers; i++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.decoder.${kv}`] = empty;
      if (!d.melody) feeds[`past_key_values.${i}.encoder.${kv}`] = empty;
    }
  }
  const out = await session.run(feeds, ['logits']);
  const logits = out.logits as ort.Tensor;
  if (logits.dims[0] !== rowsK || logits.dims[1] !== steps || logits.dims[2] !== d.vocab) {
    throw new GraphMismatchError(`decoder returned logits [${logits.dims.join(', ')}], expected [${rowsK}, ${steps}, ${d.vocab}] (config.json: ${d.K} codebooks of ${d.vocab})`);
  }
  return logits.data as Float32Array;
}
