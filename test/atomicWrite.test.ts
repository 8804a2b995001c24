import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceFile, writeFileAtomic, writeFileAtomicSync } from '../src/atomicWrite.js';

const dir = mkdtempSync(join(tmpdir(), 'atomic-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic file replacement (src/atomicWrite.ts)', () => {
  it('replaces the file and leaves no temporary file', async () => {
    const path = join(dir, 'a.json');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    writeFileAtomicSync(path, Buffer.from('newer'));
    expect(readFileSync(path, 'utf8')).toBe('newer');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('a write that fails half-way leaves the old file whole and removes its temporary file', async () => {
    const path = join(dir, 'b.wav');
    writeFileSync(path, 'whole old file');
    const failing = async (t: string): Promise<void> => {
      await writeFile(t, 'half a fi');
      throw new Error('encoder died');
    };
    await expect(replaceFile(path, failing, join(dir, '.b.wav.1234.tmp'))).rejects.toThrow('encoder died');
    expect(readFileSync(path, 'utf8')).toBe('whole old file');
    expect(readdirSync(dir).filter((f) => f.startsWith('.b') || f.startsWith('b'))).toEqual(['b.wav']);
  });

  it('the synchronous form cleans up too (the rename fails: a folder stands at the target)', () => {
    const path = join(dir, 'c');
    mkdirSync(join(path, 'inside'), { recursive: true });
    expect(() => writeFileAtomicSync(path, '{}')).toThrow();
    expect(readdirSync(dir).filter((f) => f.startsWith('c'))).toEqual(['c']);
  });
});
