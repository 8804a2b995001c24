import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `import { MusicGen } from 'musicgen-ts'` loads the library core only; the servers, the analysis
 * layer and the converter are subpath exports (src/index.ts, docs/ARCHITECTURE.md).
 */
const root = resolve(import.meta.dirname, '..');

/** npm packages loaded by importing `entry` in a fresh Node process. */
function packagesLoadedBy(entry: string): string[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(root, 'test/helpers/loadedPackages.mjs'), resolve(root, entry)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

const SERVER_AND_ANALYSIS = ['fastify', 'better-sqlite3', 'danfojs-node', 'plotly.js-dist-min', 'playwright-core'];

describe('package entry', () => {
  it('the main entry loads onnxruntime but no server, DataFrame, plotting or browser package', () => {
    const loaded = packagesLoadedBy('src/index.ts');
    expect(loaded).toContain('onnxruntime-node');
    expect(loaded.filter((p) => SERVER_AND_ANALYSIS.includes(p))).toEqual([]);
  });

  it('the probe sees the servers where they are imported (musicgen-ts/mos)', () => {
    const loaded = packagesLoadedBy('src/mos/index.ts');
    expect(loaded).toContain('fastify');
    expect(loaded).toContain('better-sqlite3');
  });

  it('every subpath export is built from a src/<layer>/index.ts', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, { import: string; types: string } | string> };
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== '.' && k !== './package.json');
    expect(subpaths.sort()).toEqual(['./analysis', './app', './convert', './evaluation', './mos', './notebook', './queue']);
    for (const key of subpaths) {
      const target = pkg.exports[key] as { import: string; types: string };
      expect(target.import).toBe(`./dist/${key.slice(2)}/index.js`);
      expect(target.types).toBe(`./dist/${key.slice(2)}/index.d.ts`);
      expect(existsSync(resolve(root, `src/${key.slice(2)}/index.ts`)), key).toBe(true);
    }
  });
});
