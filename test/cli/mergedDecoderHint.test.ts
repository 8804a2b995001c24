import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergedDecoderHint } from '../../src/cli/mergedDecoderHint.js';
import { embedWeights } from '../helpers/embeddedDecoder.js';
import { synthesizedPreset } from '../helpers/models.js';

const child = join(import.meta.dirname, 'musicgenChild.ts');
const work = mkdtempSync(join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), 'mg-merged-hint-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `musicgen <args>` in a child process. */
function musicgen(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MUSICGEN_CACHE_DIR: join(work, 'cache') } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const generateArgs = (model: string, out: string): string[] => ['generate', 'calm piano', '--model', model, '--frames', '4', '--greedy', '--threads', '1', '--strategy', 'none', '--out', out];

function sidecar(out: string): { decoderLayout: string; codes: number[][] } {
  const json = readdirSync(out).find((f) => f.endsWith('.json'))!;
  return JSON.parse(readFileSync(join(out, json), 'utf8'));
}

describe('musicgen generate on a folder with only the merged decoder', () => {
  it('says so in one line with the convert command; running that command gives the fast decoder, the same codes and no hint', async () => {
    const dir = join(work, 'merged-only');
    cpSync(synthesizedPreset('tiny', 0, 'merged'), dir, { recursive: true });
    const first = await musicgen(generateArgs(dir, join(work, 'out-merged')));
    expect(first.code, first.stderr).toBe(0);
    const hints = first.stderr.split(/[\r\n]+/).filter((l) => /merged decoder/.test(l));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toContain(`musicgen convert ${dir}`);
    expect(sidecar(join(work, 'out-merged')).decoderLayout).toBe('merged');

    // The command the hint gives, as typed.
    const command = /musicgen (convert .*)$/.exec(hints[0])![1].split(' ');
    const converted = await musicgen(command);
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toContain('now has the kvbuffer decoder');

    const second = await musicgen(generateArgs(dir, join(work, 'out-fast')));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/merged decoder/);
    const fast = sidecar(join(work, 'out-fast'));
    expect(fast.decoderLayout).toBe('kvbuffer');
    expect(fast.codes).toEqual(sidecar(join(work, 'out-merged')).codes);
  });

  it('prints no hint for our own folders', async () => {
    const r = await musicgen(generateArgs(synthesizedPreset('tiny'), join(work, 'out-ours')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/merged decoder|musicgen convert/);
  });
});

describe('musicgen generate on a folder whose decoder keeps its weights inside (older musicgen-ts)', () => {
  it('says so in one line with the convert command; that command moves them to the side file in place, with the same codes and no hint after', async () => {
    const dir = join(work, 'embedded');
    cpSync(synthesizedPreset('tiny'), dir, { recursive: true });
    embedWeights(join(dir, 'onnx', 'decoder_model_kvbuffer.onnx'));
    const first = await musicgen(generateArgs(dir, join(work, 'out-embedded')));
    expect(first.code, first.stderr).toBe(0);
    const hints = first.stderr.split(/[\r\n]+/).filter((l) => /keeps its weights inside/.test(l));
    expect(hints).toHaveLength(1);
    const command = /musicgen (convert .*)$/.exec(hints[0])![1].split(' ');
    expect(command).toEqual(['convert', dir]);
    const converted = await musicgen(command);
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toContain('(fp32): kvbuffer decoder now keeps its weights in a side file');
    expect(readdirSync(join(dir, 'onnx')).filter((f) => f.startsWith('decoder_model_kvbuffer'))).toEqual(['decoder_model_kvbuffer.onnx', 'decoder_model_kvbuffer.onnx_data']);
    const second = await musicgen(generateArgs(dir, join(work, 'out-mapped')));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/keeps its weights inside|musicgen convert/);
    expect(sidecar(join(work, 'out-mapped')).codes).toEqual(sidecar(join(work, 'out-embedded')).codes);
    // Run again, it has nothing to do.
    const again = await musicgen(command);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already in the current layout');
  });
});

describe('musicgen convert <onnx-dir> <out-dir>', () => {
  it('writes a copy with the kvbuffer decoder, leaves the source as it was, and refuses to overwrite without --force', async () => {
    const src = synthesizedPreset('tiny', 0, 'merged');
    const before = readdirSync(join(src, 'onnx')).sort();
    const out = join(work, 'copy');
    const r = await musicgen(['convert', src, out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(src, 'onnx')).sort()).toEqual(before);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual([...before, 'decoder_model_kvbuffer.onnx', 'decoder_model_kvbuffer.onnx_data'].sort());
    const again = await musicgen(['convert', src, out]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    expect(readdirSync(work).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('mergedDecoderHint', () => {
  const files = { dir: '/m/small', dtype: 'q8' as const, decoderLayout: 'merged' as const };
  it('names the precision, quotes paths a shell would split, and stays quiet when the merged decoder was asked for or cannot be converted', () => {
    expect(mergedDecoderHint(files, 'auto')).toMatch(/musicgen convert \/m\/small --dtype q8$/);
    expect(mergedDecoderHint({ ...files, dtype: 'fp32' }, undefined)).toMatch(/musicgen convert \/m\/small$/);
    expect(mergedDecoderHint({ ...files, dir: "/m/it's small" }, undefined)).toMatch(/musicgen convert '\/m\/it'\\''s small' --dtype q8$/);
    expect(mergedDecoderHint(files, 'merged')).toBeNull();
    expect(mergedDecoderHint({ ...files, dtype: 'fp16' }, 'auto')).toBeNull();
    expect(mergedDecoderHint({ ...files, decoderLayout: 'kvbuffer' }, 'auto')).toBeNull();
  });
});
