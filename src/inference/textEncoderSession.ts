import * as ort from 'onnxruntime-node';
import { checkTextEncoderGraph, createCheckedSession, type SessionOptions } from './sessions.js';
import type { TokenizedBatch } from './textTokenizer.js';

/**
 * How the text encoder opens: without weight prepacking. It runs once per call on a few dozen
 * tokens, so packing 0.41 GiB of weights for GEMM speed costs more than it saves. Measured at
 * T5-base, 2 threads, under the command's malloc tunables: the open takes 0.08 s instead of
 * 0.38-0.77 s, and an encode of 12 tokens 38-51 ms instead of 20-22 ms (first call 63-91 vs 22-26
 * ms), 64 tokens x 2 prompts 114 vs 91 ms (BENCHMARKS.md "Load time"). Its weights then stay in
 * the folder's mapped `.onnx_data` (page cache the system can reclaim), not in a packed copy.
 */
export const TEXT_ENCODER_SESSION: Pick<SessionOptions, 'prepack'> = { prepack: false };

/**
 * The T5 text encoder of a model folder. Resident (the default) keeps its session open between
 * calls. Released opens it for each call and frees it once the descriptions are encoded, so its
 * weights (T5-base: ~0.41 GiB) are not held while the decoder runs; every call pays the open
 * again. LoadOptions.releaseTextEncoder says when to use it.
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
    return createCheckedSession(file, checkTextEncoderGraph, { threads, ...TEXT_ENCODER_SESSION });
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
