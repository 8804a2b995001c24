import { join } from 'node:path';
import { readAudio } from '../../audio/read.js';
import { AbortError } from '../../inference/errors.js';
import { interruptible } from '../../kernelInterrupt.js';
import type { GroupColumn } from '../resultsFrame.js';
import type { FlatCell, SweepResultRow } from '../sweepResults.js';
import type { EmbeddingMetricSample, SetEmbeddingMetric } from './embeddingMetrics.js';

export interface GroupMetricValue {
  group: Record<string, FlatCell>;
  n: number;
  value: number;
}

/**
 * A set-level embedding metric (e.g. FAD against a reference set) per group of a sweep's samples,
 * e.g. per model and CFG coefficient. Audio is read back from the sweep folder. FAD needs many
 * samples per group (hundreds) to be stable; small groups give noisy values.
 */
export async function groupEmbeddingMetric(
  rows: readonly SweepResultRow[],
  outDir: string,
  metric: SetEmbeddingMetric,
  groupBy: readonly GroupColumn[],
  opts: { signal?: AbortSignal } = {},
): Promise<GroupMetricValue[]> {
  // Stops between groups (and between the files it reads) on the signal or Kernel > Interrupt.
  const interrupt = interruptible(opts.signal);
  try {
    return await measureGroups(rows, outDir, metric, groupBy, interrupt.signal);
  } finally {
    interrupt.close();
  }
}

async function measureGroups(
  rows: readonly SweepResultRow[],
  outDir: string,
  metric: SetEmbeddingMetric,
  groupBy: readonly GroupColumn[],
  signal: AbortSignal | undefined,
): Promise<GroupMetricValue[]> {
  const groups = new Map<string, SweepResultRow[]>();
  for (const row of rows) {
    const key = JSON.stringify(groupBy.map((g) => row[g]));
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  const out: GroupMetricValue[] = [];
  const stopIfAborted = (): void => {
    if (signal?.aborted) throw new AbortError(`${metric.name} interrupted after ${out.length} of ${groups.size} groups`);
  };
  for (const members of groups.values()) {
    const samples: EmbeddingMetricSample[] = [];
    for (const r of members) {
      stopIfAborted();
      const audio = await readAudio(join(outDir, r.file));
      samples.push({ sampleId: r.sampleId, prompt: r.prompt, audio: audio.channels, sampleRate: audio.sampleRate });
    }
    const group: Record<string, FlatCell> = {};
    for (const g of groupBy) group[g] = members[0][g];
    out.push({ group, n: members.length, value: await metric.measureSet(samples) });
  }
  stopIfAborted();
  return out;
}
