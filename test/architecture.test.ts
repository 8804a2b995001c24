import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layer table of docs/ARCHITECTURE.md, checked against the imports of src/: a module may
 * import from its own folder or from a folder on a lower row, never upward or sideways.
 */
const src = resolve(import.meta.dirname, '../src');
const architecture = readFileSync(resolve(import.meta.dirname, '../docs/ARCHITECTURE.md'), 'utf8');

/** Row of each top-level entry of src/, read from the table in docs/ARCHITECTURE.md. */
function layerRows(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of architecture.split('\n')) {
    const m = /^\| (\d+) \| ([^|]+) \|/.exec(line);
    if (!m) continue;
    for (const name of m[2].matchAll(/`([^`]+)`/g)) rows.set(name[1].replace(/\/$/, ''), Number(m[1]));
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The top-level entry of src/ a file belongs to: its first folder, or the file itself. */
function entryOf(file: string): string {
  return relative(src, file).split('/')[0];
}

interface Edge {
  from: string;
  to: string;
  fromEntry: string;
  toEntry: string;
}

/** Every relative import and re-export of src/, resolved to the file it names. */
function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), ref.fileName.replace(/\.js$/, '.ts'));
      edges.push({ from: relative(src, file), to: relative(src, target), fromEntry: entryOf(file), toEntry: entryOf(target) });
    }
  }
  return edges;
}

/**
 * The import cycles among the files of src/: Tarjan's strongly connected components of the import
 * graph, each of more than one file (or a file that imports itself). Type-only imports count: they
 * tie the files together just the same.
 */
function importCycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle when there is one (the check is not vacuous)', () => {
    const edge = (from: string, to: string): Edge => ({ from, to, fromEntry: '', toEntry: '' });
    expect(importCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('c.ts', 'd.ts')])).toEqual([
      ['a.ts', 'b.ts', 'c.ts'],
    ]);
    expect(importCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts')])).toEqual([]);
  });

  it('no file of src/ reaches itself through its imports', () => {
    expect(importCycles(importEdges())).toEqual([]);
  });
});

describe('layers (docs/ARCHITECTURE.md)', () => {
  const rows = layerRows();
  const edges = importEdges();

  it('the table names every top-level entry of src/', () => {
    const entries = readdirSync(src).map((e) => e.replace(/\/$/, ''));
    expect(entries.filter((e) => !rows.has(e))).toEqual([]);
    expect([...rows.keys()].filter((e) => !entries.includes(e))).toEqual([]);
  });

  it('reads the imports (the check is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.fromEntry === 'inference' && e.toEntry === 'audio')).toBe(true);
  });

  it('source comments cite only documents the repository has', () => {
    const root = resolve(src, '..');
    const cited = new Set<string>();
    for (const file of sourceFiles(src)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\b([\w./-]*[A-Z_]+\.md)\b/g)) cited.add(m[1]);
    }
    expect(cited.size).toBeGreaterThan(0);
    const missing = [...cited].filter((doc) => !existsSync(join(root, doc)) && !existsSync(join(root, 'docs', doc)));
    expect(missing).toEqual([]);
  });

  it('no import runs upward or sideways', () => {
    const wrong = edges
      .filter((e) => e.fromEntry !== e.toEntry && !(rows.get(e.toEntry)! < rows.get(e.fromEntry)!))
      .map((e) => `${e.from} (row ${rows.get(e.fromEntry)}) imports ${e.to} (row ${rows.get(e.toEntry)})`);
    expect(wrong).toEqual([]);
  });
});
