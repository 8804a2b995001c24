import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../src/cli/synth.js';
import { readOnnxMetadata } from '../../src/model/onnxMetadata.js';

const work = mkdtempSync(join(tmpdir(), 'mg-small-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('musicgen synth --preset small', () => {
  it('builds a folder whose graphs declare musicgen-small\'s 24 layers of 1024 with 16 heads', async () => {
    const out = join(work, 'small');
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'musicgen', 'synth', '--preset', 'small', '--seed', '3', out]);
    const meta = readOnnxMetadata(join(out, 'onnx', 'decoder_model_kvbuffer.onnx'));
    expect(meta.decoder_layers).toBe('24');
    expect(meta.decoder_hidden_size).toBe('1024');
    expect(meta.decoder_heads).toBe('16');
    expect(meta.num_codebooks).toBe('4');
    expect(meta.graph).toBe('decoder_model_kvbuffer');
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.decoder.num_hidden_layers).toBe(24);
    expect(config.musicgen_ts.random_weights).toBe(true);
    // 24 layers x (4 self/cross attention projections x 2 + 2 FFN mats) of fp32: about 1.6 GB, in
    // the side file onnxruntime maps; the embeddings (4 x 2049 x 1024 + positions) stay inside.
    expect(statSync(join(out, 'onnx', 'decoder_model_kvbuffer.onnx_data')).size).toBeGreaterThan(1.5e9);
    expect(statSync(join(out, 'onnx', 'decoder_model_kvbuffer.onnx')).size).toBeLessThan(0.1e9);
  }, 600_000);
});
