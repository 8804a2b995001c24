import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MosInputError } from '../mos/errors.js';
import { exportJson, ratingsCsv } from '../mos/export.js';
import { importAudiocraftFolders, importManifest, type ImportSummary } from '../mos/importSet.js';
import { SCALES, type Scale } from '../mos/scales.js';
import { startMosServer } from '../mos/serve.js';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../mos/server.js';
import { buildReport } from '../mos/stats.js';
import { MosStore } from '../mos/store.js';
import { closeOnSignal } from '../web/closeOnSignal.js';
import { hostOption, portOption } from './listenOptions.js';
import { intArg, numberArg } from './numberArgs.js';

const print = (line: string): void => void process.stdout.write(`${line}\n`);

function folderArg(v: string, prev: { system: string; dir: string }[] = []): { system: string; dir: string }[] {
  const eq = v.indexOf('=');
  if (eq <= 0 || eq === v.length - 1) throw new InvalidArgumentError('--folder takes SYSTEM=DIR, e.g. --folder small=xps/abc/samples');
  return [...prev, { system: v.slice(0, eq), dir: v.slice(eq + 1) }];
}

/**
 * `--trust-proxy`: proxy addresses/CIDRs and proxy-addr's names (loopback, linklocal,
 * uniquelocal). Never "all": trusting every address would let any client pick its own address.
 */
export function trustProxyArg(v: string): string {
  const parts = v.split(',').map((p) => p.trim());
  if (parts.every((p) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/[0-9]{1,3})?)$/.test(p))) return parts.join(',');
  throw new InvalidArgumentError('--trust-proxy takes proxy addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8) or loopback');
}

const scaleOption = () => new Option('--scale <scale>', 'rating scale').choices(SCALES as string[]).default('acr');

function withStore<T>(db: string, fn: (store: MosStore) => Promise<T> | T): Promise<T> {
  const store = MosStore.open(db);
  return Promise.resolve()
    .then(() => fn(store))
    .finally(() => store.close());
}

/** `musicgen mos ...`: listening tests (serve, import, add-test, invite, export). */
export function register(program: Command): void {
  const mos = program.command('mos').description('MOS listening tests: import sample sets, serve rating pages, export results');

  mos
    .command('serve')
    .description('serve the listening test (loopback by default)')
    .requiredOption('--db <file>', 'SQLite database')
    .addOption(portOption(8895))
    .addOption(hostOption())
    .option('--public-url <url>', 'base URL used in invitation links (default http://host:port)')
    .option('--min-listen-ratio <r>', 'share of each clip a rater must play: played ranges and time on the server clock', numberArg('--min-listen-ratio', 0, 1), 0.9)
    .option('--secure-cookies', 'mark cookies Secure (when served over https behind a proxy)', false)
    .option('--rate-limit <n>', 'requests per minute per client address', intArg('--rate-limit', 10, 1_000_000), DEFAULT_RATE_LIMIT_PER_MINUTE)
    .option('--trust-proxy <proxies>', 'believe X-Forwarded-For from these proxy addresses/CIDRs (comma-separated)', trustProxyArg)
    .action(async (o: { db: string; port: number; host: string; publicUrl?: string; minListenRatio: number; secureCookies: boolean; rateLimit: number; trustProxy?: string }) => {
      const { rateLimit, ...rest } = o;
      const server = await startMosServer({ ...rest, rateLimitPerMinute: rateLimit, log: print });
      await closeOnSignal(server);
    });

  mos
    .command('import')
    .description('import a sample set (sweep manifest or AudioCraft sample folders) and create a test on it')
    .requiredOption('--db <file>', 'SQLite database (created if missing)')
    .option('--manifest <file>', 'sweep manifest JSON (docs/MOS.md)')
    .option('--folder <system=dir>', 'AudioCraft samples folder of one system (repeat per system)', folderArg)
    .option('--name <name>', 'set name (required with --folder)')
    .option('--reference <system>', 'with --folder: system used as MUSHRA reference')
    .option('--lufs <lufs>', 'playback loudness', numberArg('--lufs', -70, 0), -23)
    .option('--cache <dir>', 'playback file cache (default <db>.playback)')
    .option('--seed <n>', 'seed of traps and shuffles', intArg('--seed', 0, 2 ** 31 - 1), 0)
    .option('--no-traps', 'do not make trap clips')
    .option('--test <name>', 'name of the test created on the set (default <set>-<scale>)')
    .addOption(scaleOption())
    .option('--per-rater <n>', 'pages per batch for each rater', intArg('--per-rater', 1, 1000), 8)
    .option('--traps-per-rater <n>', 'trap pages per batch', intArg('--traps-per-rater', 0, 100), 1)
    .option('--open-link', 'create an open link that issues a rater token to anyone who opens it', false)
    .action(
      async (o: {
        db: string;
        manifest?: string;
        folder?: { system: string; dir: string }[];
        name?: string;
        reference?: string;
        lufs: number;
        cache?: string;
        seed: number;
        traps: boolean;
        test?: string;
        scale: Scale;
        perRater: number;
        trapsPerRater: number;
        openLink: boolean;
      }) => {
        // MusicgenErrors (not commander's) so the launcher prints them.
        if (!o.manifest === !o.folder) throw new MosInputError('give either --manifest FILE or --folder SYSTEM=DIR (repeatable)');
        if (o.folder && !o.name) throw new MosInputError('--folder needs --name for the set');
        await withStore(o.db, async (store) => {
          const opts = { cacheDir: o.cache ?? `${o.db}.playback`, targetLufs: o.lufs, seed: o.seed, traps: o.traps };
          const s: ImportSummary = o.manifest
            ? await importManifest(store, o.manifest, opts)
            : await importAudiocraftFolders(store, o.name as string, o.folder ?? [], o.reference ?? null, opts);
          print(`imported set "${s.set}": ${s.items} items x ${s.systems.length} systems (${s.systems.join(', ')}), ${s.clips} playback files (${s.cached} from cache)`);
          if (s.dropped.length) print(`dropped ${s.dropped.length} ids missing from some system: ${s.dropped.slice(0, 10).join(', ')}${s.dropped.length > 10 ? ' ...' : ''}`);
          const test = store.createTest({
            setName: s.set,
            name: o.test ?? `${s.set}-${o.scale}`,
            scale: o.scale,
            seed: o.seed,
            trialsPerRater: o.perRater,
            trapsPerRater: o.traps ? o.trapsPerRater : 0,
            openLink: o.openLink,
          });
          print(`created test "${test.name}" (${test.scale.toUpperCase()})`);
        });
      },
    );

  mos
    .command('add-test')
    .description('create another test (e.g. REL after OVL) on an imported set')
    .requiredOption('--db <file>', 'SQLite database')
    .requiredOption('--set <name>', 'sample set')
    .requiredOption('--test <name>', 'test name')
    .addOption(scaleOption())
    .option('--seed <n>', 'seed of shuffles', intArg('--seed', 0, 2 ** 31 - 1), 0)
    .option('--per-rater <n>', 'pages per batch for each rater', intArg('--per-rater', 1, 1000), 8)
    .option('--traps-per-rater <n>', 'trap pages per batch', intArg('--traps-per-rater', 0, 100), 1)
    .option('--open-link', 'create an open link', false)
    .action(async (o: { db: string; set: string; test: string; scale: Scale; seed: number; perRater: number; trapsPerRater: number; openLink: boolean }) => {
      await withStore(o.db, (store) => {
        const t = store.createTest({ setName: o.set, name: o.test, scale: o.scale, seed: o.seed, trialsPerRater: o.perRater, trapsPerRater: o.trapsPerRater, openLink: o.openLink });
        print(`created test "${t.name}" (${t.scale.toUpperCase()})`);
      });
    });

  mos
    .command('invite')
    .description('create invitation links (one rater token each)')
    .requiredOption('--db <file>', 'SQLite database')
    .requiredOption('--test <name>', 'test name')
    .option('--count <n>', 'how many links', intArg('--count', 1, 10000), 1)
    .option('--label <label>', 'label stored with the raters (e.g. a group)')
    .option('--base-url <url>', 'server URL as raters reach it', 'http://127.0.0.1:8895')
    .action(async (o: { db: string; test: string; count: number; label?: string; baseUrl: string }) => {
      await withStore(o.db, (store) => {
        const test = store.testByName(o.test);
        const base = o.baseUrl.replace(/\/+$/, '');
        store.transaction(() => {
          for (let i = 0; i < o.count; i++) print(`${base}/i/${store.createRater(test.id, o.label ?? null).token}`);
        });
      });
    });

  mos
    .command('export')
    .description('export ratings (CSV, one row per rating) or ratings + statistics (JSON)')
    .requiredOption('--db <file>', 'SQLite database')
    .requiredOption('--test <name>', 'test name')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'output file (default: stdout)')
    .action(async (o: { db: string; test: string; format: 'csv' | 'json'; out?: string }) => {
      await withStore(o.db, (store) => {
        const test = store.testByName(o.test);
        const records = store.ratingsOf(test.id);
        const text = o.format === 'csv' ? ratingsCsv(records) : exportJson(test.name, records, buildReport(records, test.scale));
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
      });
    });
}
