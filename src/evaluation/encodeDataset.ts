import { readFileSync } from 'node:fs';
import { readAudio } from '../audio/read.js';
import { AbortError } from '../inference/errors.js';
import type { CodecEncoder } from './codecEncoder.js';
import { DEFAULT_MIN_SEGMENT_SECONDS, DEFAULT_SEGMENT_SECONDS, readDataset, segmentId, segmentsOf, type DatasetItem } from './dataset.js';
import { infoPath, isSegmentCached, removeStaleTemporaries, writeSegment, type SegmentInfo } from './tokenCache.js';

export interface EncodeProgress {
  doneItems: number;
  totalItems: number;
  encoded: number;
  skipped: number;
  /** The item just finished. */
  item: string;
}

export interface EncodeDatasetOptions {
  /** Token cache folder. */
  out: string;
  /** Segment length in seconds (default 30, AudioCraft's segment_duration). */
  segment?: number;
  /** A last remainder shorter than this is dropped (default 1 s). */
  minSegment?: number;
  /** Stops between segments; finished segments stay (run again to resume). */
  signal?: AbortSignal;
  progress?: (p: EncodeProgress) => void;
}

export interface EncodeDatasetResult {
  items: number;
  /** Segment ids encoded by this run, and those already in the cache. */
  encoded: string[];
  skipped: string[];
  /** Temporary files of killed runs that were removed. */
  removedTemporaries: number;
}

/** Segment ids of an item whose first segment says how many there are, when all are cached. */
function cachedItemSegments(out: string, item: DatasetItem): string[] | null {
  const first = segmentId(item.id, 0);
  if (!isSegmentCached(out, first)) return null;
  const info = JSON.parse(readFileSync(infoPath(out, first), 'utf8')) as SegmentInfo;
  const ids = Array.from({ length: info.segments }, (_, i) => segmentId(item.id, i));
  return ids.every((id) => isSegmentCached(out, id)) ? ids : null;
}

/**
 * EnCodec codes of every segment of a dataset into a token cache (docs/EVALUATION.md). Resumable:
 * finished segments are skipped, and an item whose segments are all cached is not even decoded.
 */
export async function encodeDataset(dataset: string | readonly DatasetItem[], encoder: CodecEncoder, opts: EncodeDatasetOptions): Promise<EncodeDatasetResult> {
  const items = typeof dataset === 'string' ? readDataset(dataset) : dataset;
  const segment = opts.segment ?? DEFAULT_SEGMENT_SECONDS;
  const minSegment = Math.min(opts.minSegment ?? DEFAULT_MIN_SEGMENT_SECONDS, segment);
  segmentsOf(segment, segment, minSegment); // validates the lengths before any work
  const removedTemporaries = removeStaleTemporaries(opts.out);
  const encoded: string[] = [];
  const skipped: string[] = [];
  const c = encoder.config;
  for (const [n, item] of items.entries()) {
    const cached = cachedItemSegments(opts.out, item);
    if (cached) skipped.push(...cached);
    else {
      const audio = await readAudio(item.path);
      const seconds = audio.channels[0].length / audio.sampleRate;
      const segments = segmentsOf(seconds, segment, minSegment);
      for (const s of segments) {
        const id = segmentId(item.id, s.index);
        if (isSegmentCached(opts.out, id)) {
          skipped.push(id);
          continue;
        }
        if (opts.signal?.aborted) throw new AbortError('encoding stopped between segments; run the same command again to resume');
        const from = Math.round(s.offset * audio.sampleRate);
        const to = Math.min(audio.channels[0].length, from + Math.round(s.duration * audio.sampleRate));
        const codes = await encoder.encode(
          audio.channels.map((ch) => ch.subarray(from, to)),
          audio.sampleRate,
        );
        writeSegment(opts.out, codes, {
          id,
          metadata: item.metadata ?? {},
          model: encoder.files.dir,
          num_codebooks: c.decoder.numCodebooks,
          audio_channels: c.decoder.audioChannels,
          codebook_size: c.decoder.vocabSize,
          frame_rate: encoder.frameRate,
          sample_rate: encoder.sampleRate,
          frames: codes[0].length,
          source: item.path,
          offset: s.offset,
          duration: (to - from) / audio.sampleRate,
          segment: s.index,
          segments: segments.length,
        });
        encoded.push(id);
      }
    }
    opts.progress?.({ doneItems: n + 1, totalItems: items.length, encoded: encoded.length, skipped: skipped.length, item: item.id });
  }
  return { items: items.length, encoded, skipped, removedTemporaries };
}
