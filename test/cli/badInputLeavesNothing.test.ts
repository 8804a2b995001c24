import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureCheckpointDir } from '../helpers/fixtures.js';
import { main } from '../../src/cli/main.js';
import { synthesizedPreset } from '../helpers/models.js';

// The real `musicgen` command (bin/musicgen.js on the sources), each case in a fresh working
// folder: a command given a bad input exits 1 with a message and leaves that folder as it was.
const launcher = join(dirname(fileURLToPath(import.meta.url)), 'musicgenChild.ts');
// tsx by path: the command runs in a folder outside the project.
const tsx = pathToFileURL(join(dirname(launcher), '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const work = mkdtempSync(join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), 'bad-input-'));
const fixtures = join(work, 'fixtures');

/** Every path under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** Runs the real command as a process in a fresh folder; returns its exit code, stderr, and what it left there. */
async function musicgenProcess(args: string[]): Promise<{ code: number | null; stderr: string; left: string[] }> {
  const cwd = mkdtempSync(join(work, 'cwd-'));
  const env: NodeJS.ProcessEnv = { ...process.env, MUSICGEN_MALLOC_TUNABLES: '0', MUSICGEN_CACHE_DIR: join(work, 'cache') };
  const proc = spawn(process.execPath, ['--import', tsx, launcher, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
  return { code, stderr, left: listing(cwd) };
}

/**
 * The same CLI in this process (a process start costs seconds here): its error message and what
 * it left in a fresh working folder. The bin turns any such error into exit 1 (tested above).
 */
async function musicgenInProcess(args: string[]): Promise<{ message: string; left: string[] }> {
  const cwd = mkdtempSync(join(work, 'cwd-'));
  const home = process.cwd();
  process.chdir(cwd);
  let message = '(no error)';
  try {
    await main(['node', 'musicgen', ...args]);
  } catch (err) {
    message = err instanceof Error ? err.message : String(err);
  } finally {
    process.chdir(home);
  }
  return { message, left: listing(cwd) };
}

beforeAll(() => {
  mkdirSync(fixtures);
  // config.json that is not JSON.
  mkdirSync(join(fixtures, 'bad-config'));
  writeFileSync(join(fixtures, 'bad-config', 'config.json'), '{');
  // A MusicGen config.json without its graphs.
  mkdirSync(join(fixtures, 'no-graphs', 'onnx'), { recursive: true });
  copyFileSync(join(fixtureCheckpointDir('musicgen-tiny'), 'config.json'), join(fixtures, 'no-graphs', 'config.json'));
  // A complete folder whose decoder download stopped half way.
  cpSync(synthesizedPreset('tiny'), join(fixtures, 'truncated'), { recursive: true });
  truncateSync(join(fixtures, 'truncated', 'onnx', 'decoder_model_kvbuffer.onnx'), 1000);
  writeFileSync(join(fixtures, 'not-a-folder'), 'x');
  writeFileSync(join(fixtures, 'sweep-nope.json'), JSON.stringify({ models: ['/nope'], prompts: ['x'], seeds: [0], duration: 0.2 }));
  writeFileSync(join(fixtures, 'sweep-truncated.json'), JSON.stringify({ models: [join(fixtures, 'truncated')], prompts: ['x'], seeds: [0], duration: 0.2 }));
});

const f = (name: string): string => join(fixtures, name);

describe('bad input leaves nothing on disk', () => {
  it.each([
    ['generate, no such model folder', ['generate', 'x', '--model', '/nope', '--out', 'DIR'], /model folder \/nope does not exist/],
    // The parameter is reported, not the broken folder: parameters are checked before a model opens.
    ['generate --top-p 2 on a broken folder', ['generate', 'x', '--top-p', '2', '--model', f('bad-config'), '--out', 'DIR'], /--top-p: topP must be a number in \[0, 1\]/],
  ])('musicgen %s: exit 1, a clear message, nothing created', async (_name, args, message) => {
    const r = await musicgenProcess(args as string[]);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.code).toBe(1);
    expect(r.left).toEqual([]);
  });

  it.each([
    ['generate, config.json not JSON', ['generate', 'x', '--model', f('bad-config'), '--out', 'DIR'], /config\.json: not valid JSON/],
    ['generate, graphs missing', ['generate', 'x', '--model', f('no-graphs'), '--out', 'DIR'], /decoder_model_kvbuffer|\.onnx/],
    ['generate, truncated decoder', ['generate', 'x', '--model', f('truncated'), '--frames', '5', '--out', 'a/b/DIR'], /decoder_model_kvbuffer\.onnx/],
    ['generate --duration -1', ['generate', 'x', '--duration', '-1', '--model', f('truncated'), '--out', 'DIR'], /--duration: duration must be/],
    ['generate, melody file missing', ['generate', 'x', '--melody', 'nope.wav', '--model', f('truncated'), '--out', 'DIR'], /nope\.wav/],
    ['generate --out is a file', ['generate', 'x', '--model', f('truncated'), '--out', join(f('not-a-folder'), 'sub')], /is a file, so .* cannot be created; choose another --out/],
    ['sweep, no such model folder', ['sweep', f('sweep-nope.json'), '--out', 'DIR'], /\/nope has no config\.json/],
    ['sweep, truncated decoder', ['sweep', f('sweep-truncated.json'), '--out', 'DIR'], /decoder_model_kvbuffer\.onnx/],
    ['compare, broken folder', ['compare', '--models', f('bad-config'), '--prompt', 'x', '--out', 'DIR'], /bad-config\/config\.json: not valid JSON/],
    ['compare, truncated decoder', ['compare', '--models', f('truncated'), '--prompt', 'x', '--duration', '0.2', '--seeds', '0', '--out', 'DIR'], /decoder_model_kvbuffer\.onnx/],
    ['convert, config.json not JSON', ['convert', f('bad-config'), 'a/OUT'], /config\.json: not valid JSON/],
    ['convert, no weights', ['convert', f('no-graphs'), 'a/OUT'], /safetensors/],
    ['synth, unknown preset', ['synth', '--preset', 'nope', 'a/OUT'], /unknown preset "nope"/],
    ['fetch, unknown dtype', ['fetch', 'org/repo', '--dtype', 'q9', '--cache-dir', 'CACHE'], /unknown dtype "q9"/],
  ])('%s: a clear message, nothing created', async (_name, args, message) => {
    const r = await musicgenInProcess(args as string[]);
    expect(r.message).toMatch(message as RegExp);
    expect(r.left).toEqual([]);
  });
});
