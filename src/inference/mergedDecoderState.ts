import * as ort from 'onnxruntime-node';
import { conditioningFeeds, decoderDims, inputIdsTensor, lastPositionLogits, type DecoderDims } from './decoderFeeds.js';
import type { DecoderConditioning, DecoderState } from './decoderStateTypes.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

/**
 * Steps the transformers.js / optimum `decoder_model_merged` graph: every step feeds the whole
 * cache and takes it back (past + new) from the outputs.
 */
export class MergedDecoderState implements DecoderState {
  private past: Record<string, ort.Tensor> | null = null;
  private readonly fixedFeeds: Record<string, ort.Tensor>;
  private readonly emptyCache: ort.Tensor;
  private readonly dims: DecoderDims;

  constructor(
    private readonly session: ort.InferenceSession,
    config: MusicgenModelConfig,
    readonly conditioning: DecoderConditioning,
  ) {
    this.dims = decoderDims(config);
    this.fixedFeeds = conditioningFeeds(config, conditioning);
    this.emptyCache = new ort.Tensor('float32', new Float32Array(0), [conditioning.rows, this.dims.heads, 0, this.dims.headDim]);
  }

  get pastLength(): number {
    return this.past ? this.past['past_key_values.0.decoder.key'].dims[2] : 0;
  }

  async step(ids: ArrayLike<number>, seqLen: number): Promise<Float32Array> {
    const { K, vocab, layers, melody } = this.dims;
    const rowsK = this.conditioning.rows * K;
    const feeds: Record<string, ort.Tensor> = {
      ...this.fixedFeeds,
      input_ids: inputIdsTensor(ids, rowsK, seqLen),
      use_cache_branch: new ort.Tensor('bool', Uint8Array.from([this.past ? 1 : 0]), [1]),
    };
    for (let i = 0; i < layers; i++) {
      for (const kv of ['key', 'value']) {
        const dec = `past_key_values.${i}.decoder.${kv}`;
        feeds[dec] = this.past ? this.past[dec] : this.emptyCache;
        if (!melody) {
          const enc = `past_key_values.${i}.encoder.${kv}`;
          feeds[enc] = this.past ? this.past[enc] : this.emptyCache;
        }
      }
    }
    const out = await this.session.run(feeds);
    const next: Record<string, ort.Tensor> = {};
    for (let i = 0; i < layers; i++) {
      for (const kv of ['key', 'value']) {
        next[`past_key_values.${i}.decoder.${kv}`] = out[`present.${i}.decoder.${kv}`] as ort.Tensor;
        if (!melody) {
          // Cross-attention K/V come from the first call; later present.*.encoder.* may be dummies.
          const enc = `past_key_values.${i}.encoder.${kv}`;
          next[enc] = this.past ? this.past[enc] : (out[`present.${i}.encoder.${kv}`] as ort.Tensor);
        }
      }
    }
    this.past = next;
    return lastPositionLogits(out.logits as ort.Tensor, rowsK, vocab);
  }
}
