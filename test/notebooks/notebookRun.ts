import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { haveTool } from '../helpers/tools.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const RUNNER = join(ROOT, 'scripts', 'run-notebooks');

let nbclientFound: boolean | undefined;

/**
 * Whether /usr/bin/python3 can run notebooks (Debian's python3-nbclient, jupyter-client). Locally
 * a missing package skips with the reason printed; under CI=true it is an error (.ci/run installs it).
 */
export function haveNbclient(): boolean {
  if (nbclientFound !== undefined) return nbclientFound;
  nbclientFound = haveTool('/usr/bin/python3', 'executes the notebooks with nbclient');
  if (nbclientFound) {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' });
    nbclientFound = r.status === 0;
    if (!nbclientFound) {
      const why = 'python3-nbclient jupyter-client jupyter-core are not installed for /usr/bin/python3';
      if (process.env.CI === 'true') throw new Error(`${why}; .ci/run must install them`);
      process.stdout.write(`[skip] ${why}: skipping notebook execution tests\n`);
    }
  }
  return nbclientFound;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs scripts/run-notebooks on the tiny models (a real model in the environment is ignored). */
export function runNotebooks(args: string[], cacheDir: string): RunResult {
  const env: NodeJS.ProcessEnv = { ...process.env, MUSICGEN_CACHE_DIR: cacheDir };
  delete env.MUSICGEN_MODEL;
  delete env.MUSICGEN_MODELS;
  delete env.MUSICGEN_MELODY_MODEL;
  const r = spawnSync(RUNNER, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}

export interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
}

export function readNotebook(path: string): { cells: Cell[]; metadata: Record<string, unknown> } {
  return JSON.parse(readFileSync(path, 'utf8')) as { cells: Cell[]; metadata: Record<string, unknown> };
}

/** nbformat stores multi-line strings as arrays of lines. */
export function joined(v: unknown): string {
  if (v === undefined || v === null) return '';
  return Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : JSON.stringify(v);
}

/** Every display_data / execute_result of a notebook, with the cell index. */
export function displays(nb: { cells: Cell[] }): { cell: number; data: Record<string, unknown> }[] {
  const out: { cell: number; data: Record<string, unknown> }[] = [];
  nb.cells.forEach((c, cell) => {
    for (const o of c.outputs ?? []) if (o.data) out.push({ cell, data: o.data });
  });
  return out;
}

/** Text of every stdout stream output of a notebook. */
export function stdoutText(nb: { cells: Cell[] }): string {
  return nb.cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => joined(o.text))).join('');
}

export interface PlotlyJson {
  data: { type?: string; name?: string; x?: unknown[]; y?: unknown[]; z?: unknown[][]; error_y?: { array?: number[] } }[];
  layout: { title?: { text?: string } | string; xaxis?: { title?: { text?: string } | string }; meta?: unknown };
}

/** The plotly figures a notebook displayed, with their titles. */
export function figures(nb: { cells: Cell[] }): (PlotlyJson & { title: string; html: string; png: string | undefined })[] {
  return displays(nb)
    .filter((d) => d.data['application/vnd.plotly.v1+json'])
    .map((d) => {
      const fig = d.data['application/vnd.plotly.v1+json'] as PlotlyJson;
      const t = fig.layout.title;
      const title = typeof t === 'string' ? t : (t?.text ?? '');
      return { ...fig, title, html: joined(d.data['text/html']), png: d.data['image/png'] as string | undefined };
    });
}

/**
 * Builds dist/ when src/ is newer (kernel tests import ../dist from notebooks/), one build at a
 * time across test files: the same lock as scripts/run-notebooks.
 */
export function ensureDist(): void {
  const script =
    'stale() { [ ! -f dist/index.js ] || [ -n "$(find src -newer dist/index.js -name \'*.ts\' -print -quit)" ]; }; ' +
    'mkdir -p dist; exec 9>dist/.notebook-build.lock; flock 9; if stale; then node node_modules/typescript/bin/tsc -p tsconfig.build.json; fi';
  const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
}
