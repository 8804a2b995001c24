import * as ort from 'onnxruntime-node';
import { checkTextEncoderGraph, createCheckedSession } from './sessions.js';
import type { TokenizedBatch } from './textTokenizer.js';

/**
 * The T5 text encoder of a model folder. Resident (the default) keeps its session open between
 * calls. Released opens it for each call and frees it once the descriptions are encoded, so its
 * prepacked weights (T5-base: ~0.34 GiB) are not held while the decoder runs; every call pays the
 * open again (0.5-1.2 s at T5-base on 2 cores). LoadOptions.releaseTextEncoder says when to use it.
 */
export class TextEncoderSession {
  private constructor(
    readonly file: string,
    private readonly threads: number | undefined,
    private session: ort.InferenceSession | null,
  ) {}

  /** Resident: opens and checks the graph now. Released: opens nothing until the first encode. */
  static async load(file: string, opts: { threads?: number; release: boolean }): Promise<TextEncoderSession> {
    if (opts.release) return new TextEncoderSession(file, opts.threads, null);
    return new TextEncoderSession(file, opts.threads, await TextEncoderSession.open(file, opts.threads));
  }

  private static open(file: string, threads: number | undefined): Promise<ort.InferenceSession> {
    return createCheckedSession(file, checkTextEncoderGraph, { threads });
  }

  /** last_hidden_state [B, T, dModel] of the descriptions, and the time spent opening the session. */
  async encode(tokens: TokenizedBatch): Promise<{ hiddenStates: Float32Array; openMs: number }> {
    const B = tokens.inputIds.length;
    const T = tokens.inputIds[0].length;
    const toI64 = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [B, T]);
    const feeds = { input_ids: toI64(tokens.inputIds), attention_mask: toI64(tokens.attentionMask) };
    const run = async (s: ort.InferenceSession): Promise<Float32Array> => (await s.run(feeds)).last_hidden_state.data as Float32Array;
    if (this.session) return { hiddenStates: await run(this.session), openMs: 0 };
    // A session per call, so concurrent calls never release one another's session.
    const t0 = performance.now();
    const session = await TextEncoderSession.open(this.file, this.threads);
    const openMs = performance.now() - t0;
    try {
      return { hiddenStates: await run(session), openMs };
    } finally {
      await session.release();
    }
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.release();
  }
}
