import { InvalidAudioError } from './errors.js';
import type { Chroma } from './chroma.js';

const COSINE_EPS = 1e-8;

/**
 * AudioCraft's chroma cosine similarity metric (ChromaCosineSimilarityMetric): the mean over
 * frames of the cosine similarity between reference and generated chroma frames, every frame
 * weighted equally. With one-hot chroma (extractChroma's default) this is the fraction of frames
 * whose pitch class matches. Only the first min(len) frames are compared, as AudioCraft compares
 * the frames covered by the (shared) audio length.
 */
export function chromaMatchRate(reference: Chroma, generated: Chroma): number {
  const t = Math.min(reference.length, generated.length);
  if (t === 0) throw new InvalidAudioError('chromaMatchRate: a chromagram is empty');
  let sum = 0;
  for (let i = 0; i < t; i++) {
    const a = reference[i];
    const b = generated[i];
    if (a.length !== b.length) throw new InvalidAudioError(`chromaMatchRate: frame ${i} has ${a.length} vs ${b.length} bins`);
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < a.length; c++) {
      dot += a[c] * b[c];
      na += a[c] * a[c];
      nb += b[c] * b[c];
    }
    // torch.nn.functional.cosine_similarity clamps each norm by eps.
    sum += dot / (Math.max(Math.sqrt(na), COSINE_EPS) * Math.max(Math.sqrt(nb), COSINE_EPS));
  }
  return sum / t;
}
