import * as ort from 'onnxruntime-node';
import { conditioningFeeds, decoderDims, inputIdsTensor, lastPositionLogits, type DecoderDims } from './decoderFeeds.js';
import { PAST_LENGTH_INPUT } from '../model/decoderLayout.js';
import type { DecoderConditioning, DecoderState } from './decoderStateTypes.js';
import { KvBuffer, KV_BUFFER_CHUNK } from './kvBuffer.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

/**
 * Steps our `decoder_model_kvbuffer` graph: the self-attention cache lives in KvBuffers fed in
 * place with their filled length; each step returns only the new positions' K/V, appended here.
 * Cross-attention K/V come out of the first step only and are fed back unchanged.
 */
export class KvBufferDecoderState implements DecoderState {
  private readonly fixedFeeds: Record<string, ort.Tensor>;
  private readonly keys: KvBuffer[] = [];
  private readonly values: KvBuffer[] = [];
  private cross: Record<string, ort.Tensor> | null = null;
  private readonly emptyCross: ort.Tensor;
  private readonly dims: DecoderDims;

  /**
   * `chunk`: positions the buffers grow by; `tokenSteps`: token positions the loop will feed (0 if
   * unknown), so the buffers reserve the whole generation once (melody prefixes added here).
   */
  constructor(
    private readonly session: ort.InferenceSession,
    config: MusicgenModelConfig,
    readonly conditioning: DecoderConditioning,
    opts: { chunk?: number; tokenSteps?: number } = {},
  ) {
    const d = (this.dims = decoderDims(config));
    this.fixedFeeds = conditioningFeeds(config, conditioning);
    const tokens = opts.tokenSteps ?? 0;
    const expected = tokens > 0 && config.melody ? tokens + config.melody.chromaLength + conditioning.encoderLength : tokens;
    const chunk = opts.chunk ?? KV_BUFFER_CHUNK;
    for (let i = 0; i < d.layers; i++) {
      this.keys.push(new KvBuffer(conditioning.rows, d.heads, d.headDim, chunk, expected));
      this.values.push(new KvBuffer(conditioning.rows, d.heads, d.headDim, chunk, expected));
    }
    this.emptyCross = new ort.Tensor('float32', new Float32Array(0), [conditioning.rows, d.heads, 0, d.headDim]);
  }

  get pastLength(): number {
    return this.keys[0].length;
  }

  async step(ids: ArrayLike<number>, seqLen: number): Promise<Float32Array> {
    const { K, vocab, layers, melody } = this.dims;
    const rowsK = this.conditioning.rows * K;
    const first = this.pastLength === 0;
    const feeds: Record<string, ort.Tensor> = {
      ...this.fixedFeeds,
      input_ids: inputIdsTensor(ids, rowsK, seqLen),
      use_cache_branch: new ort.Tensor('bool', Uint8Array.from([first ? 0 : 1]), [1]),
      [PAST_LENGTH_INPUT]: new ort.Tensor('int64', BigInt64Array.of(BigInt(this.pastLength)), [1]),
    };
    for (let i = 0; i < layers; i++) {
      feeds[`past_key_values.${i}.decoder.key`] = this.keys[i].tensor();
      feeds[`past_key_values.${i}.decoder.value`] = this.values[i].tensor();
      if (!melody) {
        for (const kv of ['key', 'value']) {
          const enc = `past_key_values.${i}.encoder.${kv}`;
          feeds[enc] = this.cross ? this.cross[enc] : this.emptyCross;
        }
      }
    }
    const out = await this.session.run(feeds);
    for (let i = 0; i < layers; i++) {
      const k = out[`present.${i}.decoder.key`] as ort.Tensor;
      const v = out[`present.${i}.decoder.value`] as ort.Tensor;
      this.keys[i].append(k.data as Float32Array, k.dims[2]);
      this.values[i].append(v.data as Float32Array, v.dims[2]);
    }
    // Cross-attention K/V come out of the first call only (later calls return empty ones).
    if (first && !melody) {
      const cross: Record<string, ort.Tensor> = {};
      for (let i = 0; i < layers; i++) {
        for (const kv of ['key', 'value']) cross[`past_key_values.${i}.encoder.${kv}`] = out[`present.${i}.encoder.${kv}`] as ort.Tensor;
      }
      this.cross = cross;
    }
    return lastPositionLogits(out.logits as ort.Tensor, rowsK, vocab);
  }
}
