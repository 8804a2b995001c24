import type { SweepResultRow } from './sweepResults.js';

/** The MOS server's sample-set manifest (docs/MOS.md): ids match clips across systems. */
export interface MosManifest {
  name: string;
  reference?: string;
  items: Array<{ id: string; system: string; prompt?: string; audio: string }>;
}

/** Keeps the MOS server's character rule (letters, digits, spaces, `_ . : = + -`, 1-100). */
function mosSafe(text: string): string {
  const s = text.replace(/[^A-Za-z0-9 _.:=+-]+/g, '-').slice(0, 100);
  return s || 'x';
}

/** The system a row belongs to: the model and every sampling setting (not the prompt or seed). */
export function systemOf(row: SweepResultRow): string {
  const sampling = row.useSampling ? `k=${row.topK} p=${row.topP} t=${row.temperature}` : 'greedy';
  return mosSafe(`${row.model} ${sampling} cfg=${row.cfgCoef}`);
}

/**
 * A MOS sample-set manifest for a sweep: one system per (model, sampling settings, CFG), one item
 * id per (prompt, seed), so the MOS server compares systems on the same prompts and seeds. Audio
 * paths are relative to the sweep folder, where the manifest is written.
 */
export function mosManifestOf(name: string, rows: readonly SweepResultRow[]): MosManifest {
  return {
    name: mosSafe(name),
    items: rows.map((row) => {
      const item: MosManifest['items'][number] = { id: mosSafe(`${row.promptId}-s${row.seed}`), system: systemOf(row), audio: row.file };
      if (row.prompt !== null) item.prompt = row.prompt;
      return item;
    }),
  };
}
