/**
 * AudioCraft's teacher-forced view of the delay pattern (LMModel.compute_predictions with
 * keep_only_valid_steps=True): codes [K, T] become a sequence of T + 1 steps (step 0 all special,
 * step s of codebook k holding frame s - 1 - d_k), the decoder reads it in one forward, and the
 * logits at step s - 1 are the prediction of step s. Only steps 1..T are built, so codebook k is
 * scored on its first T - d_k frames: the frames AudioCraft's MusicGenSolver scores
 * (docs/EVALUATION.md).
 */
import { buildDelayPatternMask, codebookDelays } from '../inference/delayPattern.js';
import { initialSequenceLength, numDistinctDelays, sequenceLengthForFrames } from '../model/stepCount.js';
import { EvaluationInputError } from './errors.js';

export interface TeacherForcingShape {
  /** Codebooks K (4 mono, 8 stereo interleaved L0 R0 L1 R1 …). */
  numCodebooks: number;
  audioChannels: number;
  /** Frames T of the codes. */
  frames: number;
  /** Decoder vocabulary (codebook size); the special id equals it. */
  vocabSize: number;
}

/**
 * Decoder steps a teacher-forced forward of T frames takes: T + 1 (AudioCraft's valid steps), the
 * initial input of a generation whose prompt is all T frames (BOS + prompt).
 */
export function teacherForcedSteps(frames: number): number {
  return initialSequenceLength(frames);
}

function checkCodes(codes: ArrayLike<number>, shape: TeacherForcingShape): void {
  const { numCodebooks: K, frames: T, vocabSize: V } = shape;
  if (!Number.isSafeInteger(T) || T < 1) throw new EvaluationInputError(`codes need at least one frame (got ${T})`);
  if (codes.length !== K * T) throw new EvaluationInputError(`codes hold ${codes.length} ids, expected ${K} codebooks x ${T} frames`);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c >= V) {
      throw new EvaluationInputError(
        `code ${c} (codebook ${Math.floor(i / T)}, frame ${i % T}) is outside the model's codebooks [0, ${V}); were the tokens made with another codec?`,
      );
    }
  }
}

/** codes [K, T] row-major -> the decoder input ids [K, T + 1] (special id in the delay triangle). */
export function teacherForcedSequence(codes: ArrayLike<number>, shape: TeacherForcingShape): Int32Array {
  checkCodes(codes, shape);
  const { numCodebooks: K, audioChannels, frames: T, vocabSize: V } = shape;
  const numDelays = numDistinctDelays(K, audioChannels);
  // The full pattern (T + K' steps, every frame forced as a prompt), cut to its first T + 1 steps.
  const maxLength = sequenceLengthForFrames(T, numDelays);
  const full = buildDelayPatternMask({ batchSize: 1, numCodebooks: K, audioChannels, maxLength, specialId: V, promptCodes: codes, promptFrames: T });
  const S = teacherForcedSteps(T);
  const out = new Int32Array(K * S);
  for (let k = 0; k < K; k++) out.set(full.subarray(k * maxLength, k * maxLength + S), k * S);
  return out;
}

export interface CodebookLoss {
  /** Sum of -log p(target) over the scored frames of each codebook, in nats. */
  nats: Float64Array;
  /** Scored frames per codebook: T - d_k. */
  tokens: Int32Array;
}

/**
 * Cross-entropy terms of one item from the decoder's logits [K, T + 1, V] (row k = codebook k) for
 * codes [K, T]: frame t of codebook k is predicted at step t + d_k. log-softmax in float64.
 */
export function codebookLoss(logits: Float32Array, codes: ArrayLike<number>, shape: TeacherForcingShape): CodebookLoss {
  checkCodes(codes, shape);
  const { numCodebooks: K, audioChannels, frames: T, vocabSize: V } = shape;
  const S = teacherForcedSteps(T);
  if (logits.length !== K * S * V) throw new EvaluationInputError(`logits hold ${logits.length} values, expected ${K} x ${S} steps x ${V}`);
  const delays = codebookDelays(K, audioChannels);
  const nats = new Float64Array(K);
  const tokens = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    const d = delays[k];
    for (let t = 0; t + d < T; t++) {
      const at = (k * S + t + d) * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[at + v] > max) max = logits[at + v];
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[at + v] - max);
      nats[k] += max + Math.log(sum) - logits[at + codes[k * T + t]];
      tokens[k]++;
    }
  }
  return { nats, tokens };
}
