import type * as ort from 'onnxruntime-node';
import { convertAudio } from '../audio/convertAudio.js';
import { JULIUS_RESAMPLE } from '../audio/resample.js';
import { encodeWithSession } from '../inference/audioCodec.js';
import { MissingModelFileError } from '../model/errors.js';
import { locateModelFiles, type ModelFiles } from '../model/modelFiles.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { openEncodecEncodeSession } from '../inference/folderSessions.js';
import { EvaluationInputError } from './errors.js';

/**
 * A model folder's EnCodec encoder alone (onnx/encodec_encode): audio -> codes, for the token
 * cache. Opens no decoder, text encoder or EnCodec decoder.
 */
export class CodecEncoder {
  private session: Promise<ort.InferenceSession> | null = null;

  private constructor(
    readonly files: ModelFiles,
    private readonly threads: number | undefined,
  ) {}

  /** Checks the folder has encodec_encode; the session opens at the first encode. */
  static open(dir: string, opts: { dtype?: string; threads?: number } = {}): CodecEncoder {
    const files = locateModelFiles(dir, opts.dtype);
    if (!files.encodecEncode) {
      throw new MissingModelFileError(`${files.dir}: encoding audio needs onnx/encodec_encode.onnx; convert the checkpoint with musicgen convert to get it`);
    }
    return new CodecEncoder(files, opts.threads);
  }

  get config(): MusicgenModelConfig {
    return this.files.config;
  }

  get sampleRate(): number {
    return this.config.audioEncoder.samplingRate;
  }

  get frameRate(): number {
    return this.config.audioEncoder.frameRate;
  }

  /** Audio at any rate and channel count -> codes[k] (stereo interleaved L0 R0 L1 R1 …). */
  async encode(channels: readonly Float32Array[], sampleRate: number): Promise<Int32Array[]> {
    if (channels.length === 0 || channels[0].length === 0) throw new EvaluationInputError('cannot encode empty audio');
    // julius' kernel, as AudioCraft's dataset (convert_audio) feeds EnCodec: cached tokens and
    // scores then match what AudioCraft computes from the same files.
    const audio = convertAudio(channels, sampleRate, this.sampleRate, this.config.decoder.audioChannels, JULIUS_RESAMPLE);
    this.session ??= openEncodecEncodeSession(this.files.encodecEncode as string, this.threads);
    const { codes, frames } = await encodeWithSession(await this.session, this.config, audio);
    return Array.from({ length: this.config.decoder.numCodebooks }, (_, k) => codes.slice(k * frames, (k + 1) * frames));
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    await (await s)?.release();
  }
}
