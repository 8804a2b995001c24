import type { Command } from 'commander';
import { register as registerApp } from './app.js';
import { register as registerChroma } from './chroma.js';
import { register as registerCompare } from './compare.js';
import { register as registerConvert } from './convert.js';
import { register as registerDemo } from './demo.js';
import { register as registerEncode } from './encode.js';
import { register as registerEvaluate } from './evaluate.js';
import { register as registerFetch } from './fetch.js';
import { register as registerGenerate } from './generate.js';
import { register as registerLoudness } from './loudness.js';
import { register as registerMos } from './mos.js';
import { register as registerSweep } from './sweep.js';
import { register as registerSynth } from './synth.js';
import { register as registerWorker } from './worker.js';

/**
 * Every sub-command registers itself here. Keep one line per command file so parallel work on
 * different commands does not collide.
 */
export function registerCommands(program: Command): void {
  registerGenerate(program);
  registerDemo(program);
  registerFetch(program);
  registerConvert(program);
  registerSynth(program);
  registerSweep(program);
  registerCompare(program);
  registerChroma(program);
  registerLoudness(program);
  registerEncode(program);
  registerEvaluate(program);
  registerMos(program);
  registerApp(program);
  registerWorker(program);
}
