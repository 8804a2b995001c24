import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseModelConfig } from '../model/modelConfig.js';

/** One model the page offers. The page only ever sends `id`; the folder stays server-side. */
export interface ModelEntry {
  id: string;
  label: string;
  dir: string;
  melody: boolean;
  /** The folder has onnx/encodec_encode*.onnx, which continuation needs. */
  continuation: boolean;
  frameRate: number;
  sampleRate: number;
}

export const DEFAULT_MODEL_ID = 'default';
/** Folders scanned under --models at most (a huge folder must not stall start-up). */
const MAX_FOLDERS = 500;

function describe(dir: string, id: string, label: string): ModelEntry {
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), join(dir, 'config.json'));
  const onnx = join(dir, 'onnx');
  const continuation = existsSync(onnx) && readdirSync(onnx).some((f) => f.startsWith('encodec_encode') && f.endsWith('.onnx'));
  return {
    id,
    label: config.melody ? `${label} (melody)` : label,
    dir,
    melody: config.melody !== null,
    continuation,
    frameRate: config.audioEncoder.frameRate,
    sampleRate: config.audioEncoder.samplingRate,
  };
}

function slug(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return s || 'model';
}

/**
 * The model folders directly under `modelsDir` that hold a config.json (and `modelsDir` itself if
 * it is one), plus the embedded default first. Folders whose config does not parse are reported
 * through `log` and left out, so one broken download does not stop the app.
 */
export function scanModels(modelsDir: string | null, defaultDir: string | null, log: (line: string) => void = () => undefined): ModelEntry[] {
  const out: ModelEntry[] = [];
  const ids = new Set<string>();
  const add = (dir: string, name: string): void => {
    if (out.some((m) => m.dir === dir)) return; // the default may also sit under --models
    let id = name === DEFAULT_MODEL_ID && out.length === 0 && dir === defaultDir ? DEFAULT_MODEL_ID : slug(name);
    for (let n = 2; ids.has(id) && n < MAX_FOLDERS + 2; n++) id = `${slug(name)}-${n}`;
    try {
      out.push(describe(dir, id, dir === defaultDir ? 'default: tiny, random weights' : name));
      ids.add(id);
    } catch (err) {
      log(`skipping model folder ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (defaultDir) add(resolve(defaultDir), DEFAULT_MODEL_ID);
  if (modelsDir) {
    const root = resolve(modelsDir);
    if (existsSync(join(root, 'config.json'))) add(root, basename(root));
    const names = existsSync(root) ? readdirSync(root).sort().slice(0, MAX_FOLDERS) : [];
    for (const name of names) {
      const dir = join(root, name);
      if (name.startsWith('.') || !statSync(dir).isDirectory() || !existsSync(join(dir, 'config.json'))) continue;
      add(dir, name);
    }
  }
  return out;
}
