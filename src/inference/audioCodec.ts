import * as ort from 'onnxruntime-node';
import type { MusicgenModelConfig } from './modelConfig.js';

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
    private readonly decodeSession: ort.InferenceSession,
    private readonly loadEncoder: (() => Promise<ort.InferenceSession>) | null,
  ) {}

  async release(): Promise<void> {
    const encoder = this.encodeSession ? await this.encodeSession : null;
    await Promise.all([this.decodeSession.release(), encoder?.release()]);
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
    const out = await this.decodeSession.run({ audio_codes: new ort.Tensor('int64', data, [1, C * batch, perChannel, frames]) });
    const audio = out.audio_values as ort.Tensor;
    const samples = audio.dims[2];
    const values = audio.data as Float32Array;
    const result: Float32Array[][] = [];
    for (let b = 0; b < batch; b++) {
      const chans: Float32Array[] = [];
      for (let ch = 0; ch < C; ch++) chans.push(values.slice((ch * batch + b) * samples, (ch * batch + b + 1) * samples));
      result.push(chans);
    }
    return result;
  }

  /**
   * One item's audio at the codec rate with the model's channel count -> codes [K, frames]
   * (interleaved for stereo). Each prompt is encoded on its own: EnCodec's encoder looks ahead, so
   * a prompt's codes are not a prefix of a longer clip's.
   */
  async encode(channels: Float32Array[]): Promise<{ codes: Int32Array; frames: number }> {
    if (!this.loadEncoder) throw new Error('encodec_encode graph missing');
    this.encodeSession ??= this.loadEncoder();
    const session = await this.encodeSession;
    const K = this.config.decoder.numCodebooks;
    const C = this.config.decoder.audioChannels;
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
}
