import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean; name?: string }>;
};

describe('a quiet npm install', () => {
  it("every dependency's install script is reviewed in allowScripts; onnxruntime-node's CUDA download is denied", () => {
    // Installed name = the last node_modules/ segment of the lockfile path.
    const withScripts = new Set(
      Object.entries(lock.packages)
        .filter(([path, p]) => path !== '' && p.hasInstallScript)
        .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
    );
    const policy = pkg.allowScripts ?? {};
    // npm >= 11.16 lists packages missing here after every install; npm 12 will not run their scripts.
    expect([...withScripts].filter((name) => !(name in policy))).toEqual([]);
    // Its CPU binaries are in the npm package; the script only fetches CUDA libraries (and fails offline).
    expect(policy['onnxruntime-node']).toBe(false);
    // The native SQLite binding of the MOS store is built by its install script.
    expect(policy['better-sqlite3']).toBe(true);
  });

  it('npm reads the project configuration without a warning', async () => {
    const { stdout, stderr } = await promisify(execFile)('npm', ['config', 'get', 'engine-strict'], { cwd: root });
    expect(stdout.trim()).toBe('true'); // .npmrc is read (engine-strict holds back Node-22-only majors)
    expect(stderr).not.toMatch(/warn/i);
    expect(existsSync(join(root, '.npmrc'))).toBe(true);
  });
});
