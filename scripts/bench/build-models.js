// Builds (once) the random musicgen-small-sized model folders the decoder benchmark runs on.
// They live outside the repo (MUSICGEN_BENCH_CACHE, default ~/.cache/musicgen-ts/bench): ~2.3 GB
// per folder and ~85 s each to build, so every later `npm run bench` reuses them.
// Run as its own process: building small peaks at ~3.5 GB of RSS, freed when it exits.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildDecoderGraph } from '../../dist/convert/decoderGraph.js';
import { buildEncodecDecodeFramesGraph, buildEncodecDecodeUpsampleGraph } from '../../dist/convert/encodec/index.js';
import { graphMetadata, synthesizeModel, withExternalDataHint } from '../../dist/convert/modelFolder.js';
import { presetConfig } from '../../dist/convert/presets.js';
import { quantizeDecoderGraph } from '../../dist/convert/quantize.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { writeOnnxModel } from '../../dist/convert/serialize.js';
import { mapDecoderWeights } from '../../dist/convert/mapDecoderWeights.js';
import { prepackedWeights } from '../../dist/convert/mappedWeights.js';
import { CheckedWeights } from '../../dist/convert/weights.js';
import { codebooksPerChannel, parseModelConfig } from '../../dist/model/modelConfig.js';
import { externalize, internalize } from './externalize.js';

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

const exists = (onnxDir, file) => existsSync(join(onnxDir, file));

/**
 * Brings a folder built by an earlier converter to what it writes now, without rebuilding the
 * decoder (large fp32 takes minutes): the kvbuffer decoder when missing, EnCodec decode in its two
 * halves, the text encoder's and EnCodec's weights in `<file>_data`, our decoder's prepacked
 * weights in `<file>_data` and the merged decoder in one file,
 * and config.json's transformers.js hint. Returns what it did.
 */
function upgradeFolder(preset, dtype, bothLayouts) {
  const dir = modelDir(preset, dtype);
  const onnxDir = join(dir, 'onnx');
  const config = parseModelConfig(presetConfig(preset, BENCH_SEED));
  const weights = () => new CheckedWeights(new RandomWeights(BENCH_SEED));
  const suffix = dtype === 'q8' ? '_quantized' : '';
  const kvbuffer = `decoder_model_kvbuffer${suffix}.onnx`;
  const done = [];
  // Each graph is written under its final name in a scratch folder (it names its data file).
  const tmp = join(onnxDir, `.upgrade-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const place = (file) => {
    for (const f of [file, `${file}_data`]) if (existsSync(join(tmp, f))) renameSync(join(tmp, f), join(onnxDir, f));
    done.push(file);
  };
  try {
    const write = (file, graph, graphName) => {
      // As the converter writes them: our decoder's prepacked weights in `_data`, the rest inside.
      const weights = graphName === 'decoder_model_kvbuffer' ? { externalWeights: prepackedWeights(graph) } : { forceExternalData: true };
      writeOnnxModel(join(tmp, file), graph, { metadata: graphMetadata(config, { graph: graphName, ...(graphName.startsWith('decoder') ? { dtype } : {}) }), ...weights });
      place(file);
    };
    if (bothLayouts && !exists(onnxDir, kvbuffer)) {
      const g = buildDecoderGraph(config, weights(), undefined, 'kvbuffer');
      write(kvbuffer, dtype === 'q8' ? quantizeDecoderGraph(g) : g, 'decoder_model_kvbuffer');
    }
    const k = codebooksPerChannel(config);
    if (!exists(onnxDir, 'encodec_decode_frames.onnx')) write('encodec_decode_frames.onnx', buildEncodecDecodeFramesGraph(config.audioEncoder, weights(), k), 'encodec_decode_frames');
    if (!exists(onnxDir, 'encodec_decode_upsample.onnx')) write('encodec_decode_upsample.onnx', buildEncodecDecodeUpsampleGraph(config.audioEncoder, weights()), 'encodec_decode_upsample');
    for (const file of ['text_encoder.onnx', 'encodec_decode.onnx', 'encodec_encode.onnx']) {
      if (!exists(onnxDir, file) || exists(onnxDir, `${file}_data`)) continue;
      externalize(join(onnxDir, file), join(tmp, file), 64);
      place(file);
    }
    // Decoders as the converter writes them (issue 21): ours with its prepacked weights in `_data`
    // (an embedded one is rewritten, one with every weight there gets the rest back inside), the
    // merged one in one file as transformers.js publishes it (copies from session 6's trial go back).
    for (const file of readdirSync(onnxDir).filter((f) => f.startsWith('decoder_model_') && f.endsWith('.onnx')).sort()) {
      if (file.startsWith('decoder_model_kvbuffer')) {
        if (mapDecoderWeights(join(onnxDir, file)).length) done.push(file);
        continue;
      }
      if (!exists(onnxDir, `${file}_data`)) continue;
      internalize(join(onnxDir, file), join(tmp, file));
      rmSync(join(onnxDir, `${file}_data`));
      place(file);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const external = readdirSync(onnxDir).filter((f) => f.endsWith('.onnx') && existsSync(join(onnxDir, `${f}_data`)));
  const configPath = join(dir, 'config.json');
  const raw = JSON.parse(readFileSync(configPath, 'utf8'));
  const hinted = withExternalDataHint(raw, external);
  if (JSON.stringify(hinted) !== JSON.stringify(raw)) {
    writeFileSync(`${configPath}.tmp`, `${JSON.stringify(hinted, null, 2)}\n`);
    renameSync(`${configPath}.tmp`, configPath);
    done.push('config.json');
  }
  return done;
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
      const upgraded = upgradeFolder(preset, dtype, bothLayouts);
      const took = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
      console.log(upgraded.length ? `upgraded ${modelDir(preset, dtype)} (${upgraded.join(', ')}) in ${took}` : `cached: ${modelDir(preset, dtype)}`);
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
