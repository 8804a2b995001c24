import type { EncodecConfig } from '../model/modelConfig.js';

/**
 * Frames of context either side that encodec_decode_upsample needs for one output frame to be
 * exactly what the whole clip gives. The upsampling stack is convolutions only; walking it from
 * the frame rate up, a transposed conv (k = 2 * stride) reads one input sample either side of its
 * own, a conv (k, dilation d) ceil((k - 1) * d / 2) samples on its wider side, each worth
 * 1 / samples-per-frame at its layer. Rounded up to whole frames. musicgen's 32 kHz EnCodec: 2
 * frames (1.32 before rounding; the tests find 1 already bit-exact).
 */
export function upsampleContextFrames(config: EncodecConfig): number {
  let frames = 0;
  let samplesPerFrame = 1;
  const convSide = (kernel: number, dilation: number): number => Math.ceil(((kernel - 1) * dilation) / 2);
  for (const ratio of config.upsamplingRatios) {
    frames += 1 / samplesPerFrame;
    samplesPerFrame *= ratio;
    for (let j = 0; j < config.numResidualLayers; j++) {
      frames += convSide(config.residualKernelSize, config.dilationGrowthRate ** j) / samplesPerFrame;
    }
  }
  frames += convSide(config.lastKernelSize, 1) / samplesPerFrame;
  return Math.ceil(frames);
}

/** One run of encodec_decode_upsample: input frames [inputStart, inputEnd), kept [keepStart, keepEnd). */
export interface CodecChunk {
  inputStart: number;
  inputEnd: number;
  keepStart: number;
  keepEnd: number;
}

/**
 * Splits `frames` into windows of at most `chunkFrames` kept frames, each read with `context`
 * frames either side (clipped at the clip's ends, where the graph pads as HF does). A clip that
 * fits in one chunk is one run with no context.
 */
export function planCodecChunks(frames: number, chunkFrames: number, context: number): CodecChunk[] {
  if (!Number.isInteger(chunkFrames) || chunkFrames < 1) throw new RangeError(`chunkFrames must be a positive integer (got ${chunkFrames})`);
  const chunks: CodecChunk[] = [];
  for (let start = 0; start < frames; start += chunkFrames) {
    const end = Math.min(frames, start + chunkFrames);
    chunks.push({ inputStart: Math.max(0, start - context), inputEnd: Math.min(frames, end + context), keepStart: start, keepEnd: end });
  }
  return chunks;
}
