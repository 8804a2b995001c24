import * as ort from 'onnxruntime-node';
import { convertAudio } from '../../audio/convertAudio.js';
import { MetricInputError } from '../errors.js';
import type { AudioEmbedder } from './embeddingMetrics.js';

export interface OnnxAudioEmbedderOptions {
  /** Short name used in metric column names, e.g. "vggish". */
  name: string;
  /** Sample rate the model expects (VGGish 16000, CLAP 48000); audio is resampled to it, mono. */
  sampleRate: number;
  /** Graph input fed with the waveform (default: the first input). */
  inputName?: string;
  /** Graph output holding the embedding (default: the first output). */
  outputName?: string;
  /** Input layout: [1, samples] (default) or [samples]. */
  inputLayout?: 'batch-samples' | 'samples';
  /** Split longer audio into windows of this many seconds and average their embeddings (default: the whole clip at once). */
  windowSeconds?: number;
  threads?: number;
}

/**
 * An audio embedding model the user exported to ONNX (e.g. VGGish for FAD, CLAP's audio tower for
 * the CLAP score), wrapped as an AudioEmbedder: mono waveform in, embedding out. Outputs with more
 * than one frame ([1, T, D], [T, D]) are averaged over frames into one D-vector, as FAD
 * toolkits do per clip.
 */
export class OnnxAudioEmbedder implements AudioEmbedder {
  readonly name: string;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly opts: OnnxAudioEmbedderOptions & { inputName: string; outputName: string },
  ) {
    this.name = opts.name;
  }

  static async load(path: string, opts: OnnxAudioEmbedderOptions): Promise<OnnxAudioEmbedder> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, opts.threads ? { intraOpNumThreads: opts.threads } : {});
    } catch (err) {
      throw new MetricInputError(`cannot load the embedding model ${path}: ${(err as Error).message}`, { cause: err });
    }
    const inputName = opts.inputName ?? session.inputNames[0];
    const outputName = opts.outputName ?? session.outputNames[0];
    if (!session.inputNames.includes(inputName)) throw new MetricInputError(`${path} has no input "${inputName}"; inputs: ${session.inputNames.join(', ')}`);
    if (!session.outputNames.includes(outputName)) throw new MetricInputError(`${path} has no output "${outputName}"; outputs: ${session.outputNames.join(', ')}`);
    return new OnnxAudioEmbedder(session, { ...opts, inputName, outputName });
  }

  private async embedWindow(samples: Float32Array): Promise<Float32Array> {
    const dims = this.opts.inputLayout === 'samples' ? [samples.length] : [1, samples.length];
    const out = await this.session.run({ [this.opts.inputName]: new ort.Tensor('float32', samples, dims) });
    const tensor = out[this.opts.outputName] as ort.Tensor;
    const data = tensor.data as Float32Array;
    const d = tensor.dims[tensor.dims.length - 1] ?? data.length;
    const frames = data.length / d;
    const mean = new Float32Array(d);
    for (let f = 0; f < frames; f++) for (let j = 0; j < d; j++) mean[j] += data[f * d + j] / frames;
    return mean;
  }

  async embedAudio(channels: readonly Float32Array[], sampleRate: number): Promise<Float32Array> {
    if (channels.length === 0 || channels[0].length === 0) throw new MetricInputError(`${this.name}: cannot embed empty audio`);
    const [mono] = convertAudio(channels, sampleRate, this.opts.sampleRate, 1);
    const window = this.opts.windowSeconds ? Math.round(this.opts.windowSeconds * this.opts.sampleRate) : mono.length;
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < mono.length; start += window) {
      // The last partial window is zero-padded so every window has the model's length.
      const w = new Float32Array(window);
      w.set(mono.subarray(start, Math.min(mono.length, start + window)));
      embeddings.push(await this.embedWindow(w));
    }
    const out = new Float32Array(embeddings[0].length);
    for (const e of embeddings) for (let j = 0; j < out.length; j++) out[j] += e[j] / embeddings.length;
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
