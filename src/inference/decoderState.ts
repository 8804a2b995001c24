import * as ort from 'onnxruntime-node';
import type { MusicgenModelConfig } from './modelConfig.js';

/** What the decoder is conditioned on, for R rows (items, or items then null rows under CFG). */
export interface DecoderConditioning {
  rows: number;
  /** T5 last_hidden_state [R, T, textDim] (not projected; the graph projects and masks it). */
  encoderHiddenStates: Float32Array;
  encoderLength: number;
  /** [R, T] 1 = token, 0 = padding or null condition. */
  encoderMask: ArrayLike<number>;
  /** Melody models: chroma frames [R, frames, numChroma] (tiled to chroma_length in the graph). */
  chroma?: { data: Float32Array; frames: number };
}

/**
 * One decoder KV cache over `rows` rows, stepping the `decoder_model_merged` graph: the first call
 * takes the whole initial sequence with an empty cache, later calls one step each.
 */
export class DecoderState {
  private past: Record<string, ort.Tensor> | null = null;
  private readonly fixedFeeds: Record<string, ort.Tensor>;
  private readonly emptyCache: ort.Tensor;
  private readonly K: number;
  private readonly V: number;
  private readonly layers: number;
  private readonly melody: boolean;

  constructor(
    private readonly session: ort.InferenceSession,
    config: MusicgenModelConfig,
    readonly conditioning: DecoderConditioning,
  ) {
    const c = config.decoder;
    this.K = c.numCodebooks;
    this.V = c.vocabSize;
    this.layers = c.numLayers;
    this.melody = config.melody !== null;
    const R = conditioning.rows;
    const T = conditioning.encoderLength;
    const textDim = config.textEncoder.dModel;
    this.fixedFeeds = {
      encoder_hidden_states: new ort.Tensor('float32', conditioning.encoderHiddenStates, [R, T, textDim]),
      encoder_attention_mask: new ort.Tensor('int64', BigInt64Array.from(Array.from(conditioning.encoderMask), (v) => BigInt(v)), [R, T]),
    };
    if (this.melody) {
      const ch = conditioning.chroma;
      if (!ch) throw new Error('melody decoders need chroma conditioning');
      this.fixedFeeds.input_features = new ort.Tensor('float32', ch.data, [R, ch.frames, config.melody!.numChroma]);
    }
    this.emptyCache = new ort.Tensor('float32', new Float32Array(0), [R, c.numHeads, 0, c.hiddenSize / c.numHeads]);
  }

  /** Cached positions (prefix + tokens) so far. */
  get pastLength(): number {
    return this.past ? this.past['past_key_values.0.decoder.key'].dims[2] : 0;
  }

  /**
   * Runs the decoder on `seqLen` new steps of ids ([rows*K, seqLen], row r = (row r div K,
   * codebook r mod K)) and returns the logits of the last position, [rows*K, vocab].
   */
  async step(ids: ArrayLike<number>, seqLen: number): Promise<Float32Array> {
    const R = this.conditioning.rows;
    const feeds: Record<string, ort.Tensor> = {
      ...this.fixedFeeds,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids), (v) => BigInt(v)), [R * this.K, seqLen]),
      use_cache_branch: new ort.Tensor('bool', Uint8Array.from([this.past ? 1 : 0]), [1]),
    };
    for (let i = 0; i < this.layers; i++) {
      for (const kv of ['key', 'value']) {
        const dec = `past_key_values.${i}.decoder.${kv}`;
        feeds[dec] = this.past ? this.past[dec] : this.emptyCache;
        if (!this.melody) {
          const enc = `past_key_values.${i}.encoder.${kv}`;
          feeds[enc] = this.past ? this.past[enc] : this.emptyCache;
        }
      }
    }
    const out = await this.session.run(feeds);
    const next: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.layers; i++) {
      for (const kv of ['key', 'value']) {
        next[`past_key_values.${i}.decoder.${kv}`] = out[`present.${i}.decoder.${kv}`] as ort.Tensor;
        if (!this.melody) {
          // Cross-attention K/V come from the first call; later present.*.encoder.* may be dummies.
          const enc = `past_key_values.${i}.encoder.${kv}`;
          next[enc] = this.past ? this.past[enc] : (out[`present.${i}.encoder.${kv}`] as ort.Tensor);
        }
      }
    }
    this.past = next;
    const logits = out.logits as ort.Tensor;
    const data = logits.data as Float32Array;
    const S = logits.dims[1];
    if (S === 1) return data;
    const rowsK = R * this.K;
    const last = new Float32Array(rowsK * this.V);
    for (let r = 0; r < rowsK; r++) last.set(data.subarray((r * S + S - 1) * this.V, (r * S + S) * this.V), r * this.V);
    return last;
  }
}
