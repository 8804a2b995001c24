import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from './notebookRun.js';
import { MALLOC_TUNABLES } from '../../src/cli/mallocTunables.js';

const tmp = mkdtempSync(join(tmpdir(), 'musicgen-nb-scripts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('jupyter/kernels/tslab/kernel.json', () => {
  it('runs this checkout tslab relative to the spec folder, with no absolute path', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8')) as { argv: string[]; language: string; env?: Record<string, string> };
    // The kernel runs under the same malloc tunables as the musicgen command (huge pages).
    expect(spec.env?.GLIBC_TUNABLES).toBe(MALLOC_TUNABLES.join(':'));
    expect(spec.argv).toEqual(['node', '--expose-gc', '{resource_dir}/../../../node_modules/tslab/bin/tslab', 'kernel', '--config-path', '{connection_file}']);
    expect(spec.language).toBe('typescript');
    // {resource_dir} is jupyter/kernels/tslab: three levels up is the project root.
    expect(existsSync(join(ROOT, 'jupyter', 'kernels', 'tslab', '..', '..', '..', 'node_modules', 'tslab', 'bin', 'tslab'))).toBe(true);
  });
});

describe('scripts/register-kernel.js', () => {
  it('writes a kernel spec with absolute paths to this checkout into $JUPYTER_DATA_DIR', () => {
    const dataDir = join(tmp, 'jupyter-data');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'register-kernel.js'), '--name', 'musicgen-test'], {
      env: { ...process.env, JUPYTER_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`registered kernel "musicgen-test" in ${join(dataDir, 'kernels', 'musicgen-test')}`);
    const spec = JSON.parse(readFileSync(join(dataDir, 'kernels', 'musicgen-test', 'kernel.json'), 'utf8')) as { argv: string[]; env?: Record<string, string> };
    expect(spec.env?.GLIBC_TUNABLES).toBe(MALLOC_TUNABLES.join(':'));
    // A copy outside the project cannot use {resource_dir}: node and tslab are absolute.
    expect(spec.argv).toEqual([process.execPath, '--expose-gc', join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', '{connection_file}']);
  });

  it('rejects a kernel name that is not a folder name', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'register-kernel.js'), '--name', '../x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--name takes letters');
  });
});

describe('scripts/notebook.sh (npm run notebook)', () => {
  it('without Jupyter Notebook, prints the apt install line and exits non-zero', () => {
    // A PATH with only what the script needs before its check, so an installed Jupyter is not found.
    const bin = join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['dirname']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
    const r = spawnSync('/bin/bash', [join(ROOT, 'scripts', 'notebook.sh')], { env: { PATH: bin, HOME: tmp }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Jupyter Notebook is not installed');
    expect(r.stderr).toContain('apt-get install -y --no-install-recommends jupyter-notebook');
  });
});

describe('scripts/notebook.sh as root and as a normal user', () => {
  // A stand-in jupyter-notebook that prints the arguments it was given.
  const fake = join(tmp, 'fake-jupyter');
  mkdirSync(fake, { recursive: true });
  writeFileSync(join(fake, 'jupyter-notebook'), '#!/bin/sh\necho "jupyter-notebook $*"\n');
  chmodSync(join(fake, 'jupyter-notebook'), 0o755);
  chmodSync(tmp, 0o755);
  const run = (prefix: string[]) => {
    ensureDist(); // the script would otherwise build dist/ itself
    const [cmd, ...args] = [...prefix, '/bin/bash', join(ROOT, 'scripts', 'notebook.sh'), '--port', '8899'];
    return spawnSync(cmd, args, { env: { PATH: `${fake}:/usr/bin:/bin`, HOME: tmp }, encoding: 'utf8' });
  };

  it.skipIf(process.getuid?.() !== 0)('as root adds --allow-root and says so once', () => {
    const r = run([]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`jupyter-notebook --notebook-dir=${ROOT}/notebooks --allow-root --port 8899`);
    expect(r.stderr.match(/--allow-root/g)?.length).toBe(1);
  });

  it.skipIf(process.getuid?.() === 0 && !existsSync('/usr/bin/setpriv'))('as a normal user passes no root flag', () => {
    // Root runs the script as nobody; a normal user runs it as themselves.
    const r = run(process.getuid?.() === 0 ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`jupyter-notebook --notebook-dir=${ROOT}/notebooks --port 8899`);
    expect(r.stderr).not.toContain('root');
  });
});
