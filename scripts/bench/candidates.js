// Candidate optimisations of the decoder, timed like the current graphs: isolated decoder steps
// (steps.js, one child process per candidate, one after the other) at past lengths 10, 500, 1500.
// Decoder variants come from build-variants.js (same seed and weights as the cached folders);
// session-option candidates run the current file. With --rounds > 1 the order alternates
// (forwards, then backwards) so drift of the shared machine's load hits all candidates alike.
//
//   node scripts/bench/candidates.js [--rounds 1] [--runs 7] [--past 10,500,1500] [--only word,word] [--write]
// --write replaces the `bench:candidates` section of BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelDir } from './build-models.js';
import { VARIANTS, variantFile } from './build-variants.js';
import { f, machineLine, writeSection } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROUNDS = Number(opt('rounds', '1'));
const RUNS = opt('runs', '7');
const PASTS = opt('past', '10,500,1500');
const dirs = { fp32: modelDir('small', 'fp32'), q8: modelDir('small', 'q8') };

const noSpin = JSON.stringify({ extra: { session: { intra_op: { allow_spinning: '0' } } } });
const plan = [
  { name: 'current fp32 graph (reference)', dtype: 'fp32', extra: [] },
  { name: 'current fp32 graph, 1 intra-op thread', dtype: 'fp32', extra: ['--threads', '1'] },
  { name: 'current fp32 graph, intra-op spinning off', dtype: 'fp32', extra: ['--options', noSpin] },
  { name: 'current q8 graph (reference)', dtype: 'q8', extra: [] },
  ...Object.entries(VARIANTS).map(([v, spec]) => ({
    name: `variant ${v}`,
    dtype: spec.formulation === 'fp32' ? 'fp32' : 'q8',
    extra: ['--file', variantFile(v)],
    variant: v,
  })),
].filter((c) => !c.variant || existsSync(variantFile(c.variant)))
  // --only reference,split: candidates whose name contains one of the words.
  .filter((c) => !opt('only') || opt('only').split(',').some((w) => c.name.includes(w)));

const results = Object.fromEntries(plan.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [...plan].reverse() : plan;
  for (const c of order) {
    process.stderr.write(`[candidates] round ${r + 1}/${ROUNDS}: ${c.name}\n`);
    const p = spawnSync(process.execPath, ['--expose-gc', join(here, 'steps.js'), '--dir', dirs[c.dtype], '--dtype', c.dtype, '--past', PASTS, '--runs', RUNS, ...c.extra], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (p.status === 0) results[c.name].push(JSON.parse(p.stdout.trim().split('\n').at(-1)));
    else process.stderr.write(`[candidates] ${c.name} failed (${p.status})\n`);
  }
}

// Per candidate and past length: the median over rounds of each round's median step time.
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pasts = PASTS.split(',').map(Number);
const rows = plan.map((c) => {
  const rs = results[c.name];
  return {
    ...c,
    ok: rs.length > 0,
    loadMs: rs.length ? med(rs.map((x) => x.loadMs)) : null,
    rssBytes: rs.length ? med(rs.map((x) => x.maxRssBytes)) : null,
    ms: pasts.map((P) => (rs.length ? med(rs.map((x) => x.points.find((p) => p.past === P).medianMs)) : null)),
    loadavg: rs.map((x) => x.points[0].loadavg),
  };
});
const refOf = (c) => rows.find((x) => x.name === `current ${c.dtype} graph (reference)`);
const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const md = [
  '## Candidate optimisations of the decoder (issue 8), isolated steps',
  '',
  `Measured ${when} on ${machineLine()}, onnxruntime-node 1.30.0. Random musicgen-small-sized decoder, CFG batch 2, one new position per step,`,
  `the cache of length P fed as random tensors (one buffer per layer), 2 intra-op threads unless stated; ms per session.run, median of ${RUNS} runs`,
  `per length${ROUNDS > 1 ? `, then the median over ${ROUNDS} rounds in alternating order` : ''}. Variants are built by \`scripts/bench/build-variants.js\` from the same seed`,
  '(checked equal to the standard graph by `scripts/bench/check-variants.js`: logits within 2e-6); they are not in src/convert yet.',
  '`newkv` = present.N.decoder.* are only the new step\'s K/V (the caller appends them to its own cache); `split` = newkv plus attention',
  'over past and new K/V separately, so the graph never concatenates the cache; `nbits8` = weights as MatMulNBits bits=8 block 32',
  `accuracy_level 4. Load average during the runs: ${f(Math.min(...rows.flatMap((r) => r.loadavg)))}-${f(Math.max(...rows.flatMap((r) => r.loadavg)))} (2 cores).`,
  '',
  `| candidate | ${pasts.map((P) => `P=${P} ms (speed-up)`).join(' | ')} | load s | peak RSS GiB |`,
  `|---|${pasts.map(() => '---:').join('|')}|---:|---:|`,
];
for (const c of rows) {
  if (!c.ok) {
    md.push(`| ${c.name} | failed |`);
    continue;
  }
  const ref = refOf(c);
  md.push(
    `| ${c.name} (${c.dtype}) | ${c.ms.map((ms, i) => `${f(ms)} (${f(ref.ms[i] / ms, 2)}x)`).join(' | ')} | ${f(c.loadMs / 1000)} | ${f(c.rssBytes / 2 ** 30, 2)} |`,
  );
}
md.push('', `Command: \`node scripts/bench/candidates.js --rounds ${ROUNDS} --runs ${RUNS} --past ${PASTS}${opt('only') ? ` --only ${opt('only')}` : ''} --write\` (also part of \`npm run bench\`).`);
const text = md.join('\n');
process.stdout.write(`${JSON.stringify({ rows })}\n`);
process.stderr.write(`${text}\n`);
if (args.includes('--write')) writeSection('candidates', text);
