#!/usr/bin/env node
// Registers this checkout's tslab kernel in the user's Jupyter data folder, for front ends that do
// not read JUPYTER_PATH from `npm run notebook` (VS Code, JupyterLab started elsewhere).
//
//   node scripts/register-kernel.js [--name tslab] [--dry-run]
//
// The committed jupyter/kernels/tslab/kernel.json finds tslab relative to its own folder; a copy
// in ~/.local/share/jupyter cannot, so this one carries absolute paths to this checkout's node
// and tslab. The folder is $JUPYTER_DATA_DIR, else `jupyter --data-dir`, else the platform default.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const nameAt = args.indexOf('--name');
const name = nameAt >= 0 ? args[nameAt + 1] : 'tslab';
const dryRun = args.includes('--dry-run');
if (!name || !/^[A-Za-z0-9._-]+$/.test(name)) {
  console.error('register-kernel: --name takes letters, digits, ".", "_" and "-"');
  process.exit(2);
}

function dataDir() {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  try {
    const out = execFileSync('jupyter', ['--data-dir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (out) return out;
  } catch {
    // no jupyter on PATH: use the documented default location
  }
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Jupyter');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? homedir(), 'jupyter');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'jupyter');
}

const tslab = join(root, 'node_modules', 'tslab', 'bin', 'tslab');
if (!existsSync(tslab)) {
  console.error(`register-kernel: ${tslab} is missing: run npm install first`);
  process.exit(1);
}
const spec = JSON.parse(readFileSync(join(root, 'jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8'));
// The node running this script: front ends often start kernels with a different PATH (nvm, GUI apps).
// --expose-gc as in kernel.json: generate() collects the dead KV cache before EnCodec runs.
spec.argv = [process.execPath, '--expose-gc', tslab, 'kernel', '--config-path', '{connection_file}'];
spec.display_name = `${spec.display_name} [${root}]`;

const dir = join(dataDir(), 'kernels', name);
const text = `${JSON.stringify(spec, null, 2)}\n`;
if (dryRun) {
  console.log(`would write ${join(dir, 'kernel.json')}:\n${text}`);
} else {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kernel.json'), text);
  console.log(`registered kernel "${name}" in ${dir}`);
  console.log('Pick "' + spec.display_name + '" in VS Code / JupyterLab; the notebooks ask for a kernel named "tslab".');
}
