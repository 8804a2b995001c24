import { audioChroma, CHROMA_HOP, CHROMA_SAMPLE_RATE, type Chroma } from './chroma.js';
import { InvalidAudioError } from './errors.js';
import { channelLength } from './validate.js';

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

/**
 * AudioCraft's ChromaCosineSimilarityMetric.update for one (reference, generated) pair of audio:
 * both are converted to mono 32 kHz (julius' kernel, as convert_audio), given one-hot chroma, and
 * compared over the first ceil(size / 4096) frames, size being the 32 kHz sample count. AudioCraft
 * requires equal shapes; here both are cut to the shorter one first. Returns the mean cosine and
 * the frame count, so several pairs aggregate as AudioCraft's compute(): sum(mean * frames) / sum(frames).
 */
export function audioChromaMatchRate(
  reference: readonly Float32Array[],
  generated: readonly Float32Array[],
  sampleRate: number,
): { rate: number; frames: number } {
  const length = Math.min(channelLength(reference, 'audioChromaMatchRate'), channelLength(generated, 'audioChromaMatchRate'));
  const toChroma = (audio: readonly Float32Array[]): Chroma => audioChroma(audio.map((c) => c.subarray(0, length)), sampleRate);
  const ref = toChroma(reference);
  const gen = toChroma(generated);
  const size = Math.floor((CHROMA_SAMPLE_RATE * length) / sampleRate);
  const frames = Math.min(Math.ceil(size / CHROMA_HOP), ref.length);
  return { rate: chromaMatchRate(ref.slice(0, frames), gen.slice(0, frames)), frames };
}
