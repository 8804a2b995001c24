import * as ort from 'onnxruntime-node';
import { planCodecChunks, upsampleContextFrames } from './codecChunks.js';
import { LoadOptionError } from './errors.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';

/** EnCodec decode sessions: the one transformers.js graph, or our two halves (modelFiles.ts). */
export type EncodecDecodeSessions =
  | { kind: 'whole'; session: ort.InferenceSession }
  | { kind: 'split'; frames: ort.InferenceSession; upsample: ort.InferenceSession };

/**
 * Frames x codec rows (items x channels) per run of the upsampling half. Its activations at the
 * sample rate are ~1.2 MB per frame and row at musicgen's EnCodec: 10 s mono in one run added
 * 0.32 GiB of RSS, in runs of 100 frames 0.07, of 50 frames 0.03 GiB, at 8 % of the frames
 * recomputed as context and a first (cold) run no slower (0.70-0.78 s vs 1.28 s for the one
 * graph, whose fresh arena pages fault in; warm 0.65 s vs 0.74 s).
 */
export const DEFAULT_CODEC_CHUNK_FRAME_ROWS = 50;
/** A run keeps at least this many times the context in frames per row (<= 20 % recomputed). */
const MIN_CHUNK_CONTEXTS = 10;

/**
 * EnCodec through the `encodec_decode` / `encodec_encode` graphs. Stereo MusicGen interleaves
 * codebooks L0 R0 L1 R1 …; each channel is decoded by the mono codec (even codebooks left, odd
 * right), as HF does.
 */
export class AudioCodec {
  private encodeSession: Promise<ort.InferenceSession> | null = null;

  /**
   * `loadEncoder` opens encodec_encode on first use only: text-to-music never needs it, and it
   * costs ~240 MB of RSS at musicgen-small size.
   */
  constructor(
    private readonly config: MusicgenModelConfig,
    private readonly decodeSessions: EncodecDecodeSessions,
    private readonly loadEncoder: (() => Promise<ort.InferenceSession>) | null,
    /** Budget of frames x codec rows per upsampling run (split graphs only). */
    readonly chunkFrameRows: number = DEFAULT_CODEC_CHUNK_FRAME_ROWS,
  ) {
    AudioCodec.checkChunkFrameRows(chunkFrameRows);
  }

  static checkChunkFrameRows(value: number): void {
    if (!Number.isInteger(value) || value < 1) {
      throw new LoadOptionError(
        `codecChunkFrameRows must be a positive integer (frames x codec rows per EnCodec run, default ${DEFAULT_CODEC_CHUNK_FRAME_ROWS}); got ${value}`,
      );
    }
  }

  async release(): Promise<void> {
    const encoder = this.encodeSession ? await this.encodeSession : null;
    const d = this.decodeSessions;
    const decoders = d.kind === 'whole' ? [d.session] : [d.frames, d.upsample];
    await Promise.all([...decoders.map((s) => s.release()), encoder?.release()]);
  }

  get sampleRate(): number {
    return this.config.audioEncoder.samplingRate;
  }

  get hopLength(): number {
    return this.config.audioEncoder.hopLength;
  }

  /** codes [B, K, F] row-major (K = all decoder codebooks) -> audio[item][channel]. */
  async decode(codes: ArrayLike<number>, batch: number, frames: number): Promise<Float32Array[][]> {
    const K = this.config.decoder.numCodebooks;
    const C = this.config.decoder.audioChannels;
    const perChannel = K / C;
    // Rows of the codec batch: channel-major (all items' left, then all items' right).
    const data = new BigInt64Array(C * batch * perChannel * frames);
    for (let ch = 0; ch < C; ch++) {
      for (let b = 0; b < batch; b++) {
        for (let q = 0; q < perChannel; q++) {
          const src = (b * K + q * C + ch) * frames;
          const dst = ((ch * batch + b) * perChannel + q) * frames;
          for (let t = 0; t < frames; t++) data[dst + t] = BigInt(codes[src + t]);
        }
      }
    }
    const codesTensor = new ort.Tensor('int64', data, [1, C * batch, perChannel, frames]);
    const values = await this.decodeRows(codesTensor, C * batch, frames);
    const samples = frames * this.hopLength;
    const result: Float32Array[][] = [];
    for (let b = 0; b < batch; b++) {
      const chans: Float32Array[] = [];
      for (let ch = 0; ch < C; ch++) chans.push(values.slice((ch * batch + b) * samples, (ch * batch + b + 1) * samples));
      result.push(chans);
    }
    return result;
  }

  /** codes [1, rows, perChannel, frames] -> audio [rows, frames * hop] (mono codec rows). */
  private async decodeRows(codes: ort.Tensor, rows: number, frames: number): Promise<Float32Array> {
    const d = this.decodeSessions;
    if (d.kind === 'whole') return (await d.session.run({ audio_codes: codes })).audio_values.data as Float32Array;
    const hidden = (await d.frames.run({ audio_codes: codes })).decoder_frames as ort.Tensor;
    const channels = hidden.dims[1];
    const src = hidden.data as Float32Array;
    const hop = this.hopLength;
    const out = new Float32Array(rows * frames * hop);
    const context = upsampleContextFrames(this.config.audioEncoder);
    // Rows per run first, so that a run keeps at least MIN_CHUNK_CONTEXTS x context frames of
    // signal per row (a big batch goes a few rows at a time rather than in slivers of frames).
    const rowsPerRun = Math.max(1, Math.min(rows, Math.floor(this.chunkFrameRows / (MIN_CHUNK_CONTEXTS * context))));
    const chunkFrames = Math.max(1, Math.floor(this.chunkFrameRows / rowsPerRun));
    const chunks = planCodecChunks(frames, chunkFrames, context);
    for (let r0 = 0; r0 < rows; r0 += rowsPerRun) {
      const nRows = Math.min(rowsPerRun, rows - r0);
      const group = src.subarray(r0 * channels * frames, (r0 + nRows) * channels * frames);
      for (const c of chunks) {
        const n = c.inputEnd - c.inputStart;
        let window = group;
        if (n !== frames) {
          window = new Float32Array(nRows * channels * n);
          for (let r = 0; r < nRows * channels; r++) window.set(group.subarray(r * frames + c.inputStart, r * frames + c.inputEnd), r * n);
        }
        const audio = (await d.upsample.run({ decoder_frames: new ort.Tensor('float32', window, [nRows, channels, n]) })).audio_values;
        const a = audio.data as Float32Array;
        const skip = (c.keepStart - c.inputStart) * hop;
        const keep = (c.keepEnd - c.keepStart) * hop;
        for (let r = 0; r < nRows; r++) {
          out.set(a.subarray(r * n * hop + skip, r * n * hop + skip + keep), ((r0 + r) * frames + c.keepStart) * hop);
        }
      }
    }
    return out;
  }

  /**
   * One item's audio at the codec rate with the model's channel count -> codes [K, frames]
   * (interleaved for stereo). Each prompt is encoded on its own: EnCodec's encoder looks ahead, so
   * a prompt's codes are not a prefix of a longer clip's.
   */
  async encode(channels: Float32Array[]): Promise<{ codes: Int32Array; frames: number }> {
    if (!this.loadEncoder) throw new Error('encodec_encode graph missing');
    this.encodeSession ??= this.loadEncoder();
    return encodeWithSession(await this.encodeSession, this.config, channels);
  }
}

/**
 * Runs an encodec_encode session on one item's audio (codec rate, the model's channel count):
 * codes [K, frames] row-major, stereo interleaved as the decoder's codebooks (L0 R0 L1 R1 …).
 */
export async function encodeWithSession(
  session: ort.InferenceSession,
  config: MusicgenModelConfig,
  channels: readonly Float32Array[],
): Promise<{ codes: Int32Array; frames: number }> {
  const K = config.decoder.numCodebooks;
  const C = config.decoder.audioChannels;
  const perChannel = K / C;
  const n = channels[0].length;
  const input = new Float32Array(C * n);
  for (let ch = 0; ch < C; ch++) input.set(channels[ch], ch * n);
  const out = await session.run({ input_values: new ort.Tensor('float32', input, [C, 1, n]) });
  const t = out.audio_codes as ort.Tensor;
  const frames = t.dims[3];
  const src = t.data as BigInt64Array;
  const codes = new Int32Array(K * frames);
  for (let ch = 0; ch < C; ch++) {
    for (let q = 0; q < perChannel; q++) {
      for (let f = 0; f < frames; f++) codes[(q * C + ch) * frames + f] = Number(src[(ch * perChannel + q) * frames + f]);
    }
  }
  return { codes, frames };
}
