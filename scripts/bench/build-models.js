// Builds (once) the random musicgen-small-sized model folders the decoder benchmark runs on.
// They live outside the repo (MUSICGEN_BENCH_CACHE, default ~/.cache/musicgen-ts/bench): ~2.3 GB
// per folder and ~85 s each to build, so every later `npm run bench` reuses them.
// Run as its own process: building small peaks at ~3.5 GB of RSS, freed when it exits.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildDecoderGraph } from '../../dist/convert/decoderGraph.js';
import { graphMetadata, synthesizeModel } from '../../dist/convert/modelFolder.js';
import { presetConfig } from '../../dist/convert/presets.js';
import { quantizeDecoderGraph } from '../../dist/convert/quantize.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { writeOnnxModel } from '../../dist/convert/serialize.js';
import { CheckedWeights } from '../../dist/convert/weights.js';
import { parseModelConfig } from '../../dist/inference/modelConfig.js';

export const BENCH_SEED = 1234;

export function cacheDir() {
  return process.env.MUSICGEN_BENCH_CACHE ?? join(homedir(), '.cache', 'musicgen-ts', 'bench');
}

export function modelDir(preset, dtype) {
  return join(cacheDir(), `${preset}-seed${BENCH_SEED}-${dtype}`);
}

/** A folder counts as built when its config.json exists: synthesizeModel renames into place last. */
export function isBuilt(preset, dtype) {
  return existsSync(join(modelDir(preset, dtype), 'config.json'));
}

/**
 * Folders hold both decoder layouts: ours runs kvbuffer, transformers.js the merged one, on the
 * same weights. Folders built before the kvbuffer layout get that one decoder built, as the
 * converter writes it: one file (an external-data copy from an earlier trial is replaced; it made
 * fp32 steps stall on page faults, BENCHMARKS.md).
 */
function addKvbufferDecoder(preset, dtype) {
  const name = `decoder_model_kvbuffer${dtype === 'q8' ? '_quantized' : ''}.onnx`;
  const onnxDir = join(modelDir(preset, dtype), 'onnx');
  if (existsSync(join(onnxDir, name)) && !existsSync(join(onnxDir, `${name}_data`))) return false;
  const config = parseModelConfig(presetConfig(preset, BENCH_SEED));
  const g = buildDecoderGraph(config, new CheckedWeights(new RandomWeights(BENCH_SEED)), undefined, 'kvbuffer');
  // The graph names its data file, so write both under their final names in a scratch folder.
  const tmp = join(onnxDir, `.kvbuffer-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  writeOnnxModel(join(tmp, name), dtype === 'q8' ? quantizeDecoderGraph(g) : g, {
    metadata: graphMetadata(config, { graph: 'decoder_model_kvbuffer', dtype }),
  });
  rmSync(join(onnxDir, `${name}_data`), { force: true });
  renameSync(join(tmp, name), join(onnxDir, name));
  rmSync(tmp, { recursive: true, force: true });
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const preset = process.argv[2] ?? 'small';
  const dtypes = (process.argv[3] ?? 'fp32,q8').split(',');
  for (const dtype of dtypes) {
    const t0 = performance.now();
    // small holds both layouts (transformers.js runs the merged one); the model-size comparison
    // (medium, large) runs ours only, so those folders get the kvbuffer decoder alone.
    const bothLayouts = preset === 'small' || preset === 'tiny';
    if (isBuilt(preset, dtype)) {
      const added = bothLayouts && addKvbufferDecoder(preset, dtype);
      console.log(`${added ? 'added the kvbuffer decoder to' : 'cached:'} ${modelDir(preset, dtype)}${added ? ` in ${((performance.now() - t0) / 1000).toFixed(1)} s` : ''}`);
      continue;
    }
    let lastLog = 0;
    const progress = (done, total, stage) => {
      if (performance.now() - lastLog < 10000 && done !== total) return;
      lastLog = performance.now();
      process.stderr.write(`  ${preset} ${dtype}: ${stage} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    };
    synthesizeModel(preset, modelDir(preset, dtype), { seed: BENCH_SEED, dtype, force: true, decoderLayout: bothLayouts ? 'both' : 'kvbuffer', progress });
    console.log(`built ${modelDir(preset, dtype)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
