// Imports the module named on the command line in this fresh process, then prints (as JSON) the
// npm packages it loaded. fastify, better-sqlite3, danfojs, plotly and playwright are CommonJS,
// and Node puts CommonJS modules imported from ESM in require.cache, so the cache sees them.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

await import(pathToFileURL(process.argv[2]).href);
const packages = new Set();
for (const path of Object.keys(createRequire(import.meta.url).cache)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (m) packages.add(m[1]);
}
process.stdout.write(JSON.stringify([...packages].sort()));
