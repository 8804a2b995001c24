import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MusicgenError } from '../src/errors.js';
import { fixtureF32, fixtureI64 } from './helpers/fixtures.js';

describe('foundation', () => {
  it('typed errors carry their class name', () => {
    class ExampleError extends MusicgenError {}
    const e = new ExampleError('boom');
    expect(e.name).toBe('ExampleError');
    expect(e).toBeInstanceOf(Error);
  });

  it('the package declares the CLI and ESM entry points the README promises', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.name).toBe('musicgen-ts');
    expect(pkg.type).toBe('module');
    expect(pkg.bin.musicgen).toBe('bin/musicgen.js');
    expect(pkg.exports['.'].import).toBe('./dist/index.js');
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it('reads reference fixtures with their declared shapes', () => {
    const ids = fixtureI64('musicgen-tiny', 'text.input_ids');
    expect(ids.shape).toEqual([2, 7]);
    expect(ids.data.length).toBe(14);
    const h = fixtureF32('musicgen-tiny', 'text_encoder.last_hidden_state');
    expect(h.data.length).toBe(2 * 7 * 24);
  });
});
