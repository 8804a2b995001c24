import { SCALE_INFO } from '../scales.js';
import type { PairedComparison, SystemSummary, TestReport } from '../stats.js';
import type { TestRow } from '../store.js';
import { esc, page } from './html.js';
import { mosPlot } from './plot.js';

const f = (v: number | null, d = 2): string => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));

export function loginPage(message = ''): string {
  return page(
    'Admin login',
    `<h1>Admin</h1>${message ? `<p class="error">${esc(message)}</p>` : ''}
<form method="post" action="/admin/login"><label>Admin secret <input type="password" name="secret" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form>`,
  );
}

export interface TestListEntry {
  test: TestRow;
  setName: string;
  ratings: number;
  raters: number;
}

export function dashboardPage(tests: readonly TestListEntry[], publicUrl: string, csrf: string | null): string {
  const rows = tests
    .map(
      (t) => `<tr><td class="l"><a href="/admin/tests/${t.test.id}">${esc(t.test.name)}</a></td><td class="l">${esc(t.setName)}</td>
<td class="l">${esc(t.test.scale.toUpperCase())}</td><td>${t.raters}</td><td>${t.ratings}</td>
<td class="l">${t.test.openCode ? `<code>${esc(`${publicUrl}/open/${t.test.openCode}`)}</code>` : '–'}</td></tr>`,
    )
    .join('');
  return page(
    'MOS admin',
    `<h1>Listening tests</h1><table><tr><th class="l">Test</th><th class="l">Set</th><th class="l">Scale</th><th>Raters</th><th>Ratings</th><th class="l">Open link</th></tr>${rows}</table>
${csrf ? `<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit">Log out</button></form>` : ''}`,
  );
}

function systemsTable(rows: readonly SystemSummary[]): string {
  return `<table><tr><th class="l">System</th><th>n</th><th>MOS</th><th>± 95 % CI</th><th>SD</th><th>z-mean</th></tr>${rows
    .map((r) => `<tr><td class="l">${esc(r.system)}</td><td>${r.n}</td><td>${f(r.mean)}</td><td>${f(r.ci95)}</td><td>${f(r.sd)}</td><td>${f(r.zMean)}</td></tr>`)
    .join('')}</table>`;
}

function pairedTable(rows: readonly PairedComparison[]): string {
  if (rows.length === 0) return '<p class="note">No pair of systems shares rated items yet.</p>';
  return `<table><tr><th class="l">A</th><th class="l">B</th><th>items</th><th>mean A−B</th><th>W+</th><th>W−</th><th>p (two-sided)</th><th class="l">method</th></tr>${rows
    .map(
      (r) => `<tr><td class="l">${esc(r.a)}</td><td class="l">${esc(r.b)}</td><td>${r.n}</td><td>${f(r.meanDiff)}</td><td>${r.wPlus}</td><td>${r.wMinus}</td><td>${f(r.p, 4)}</td><td class="l">${r.method}</td></tr>`,
    )
    .join('')}</table>`;
}

export function testPage(test: TestRow, report: TestReport, adminCsrf: string | null, invites: readonly string[] = []): string {
  const info = SCALE_INFO[test.scale];
  const raters = report.raters
    .map(
      (r) => `<tr class="${r.screened ? 'screened' : ''}"><td>${r.raterId}</td><td class="l">${esc(r.label ?? '')}</td><td>${r.n}</td><td>${f(r.mean)}</td><td>${f(r.sd)}</td>
<td>${r.trapsFailed}/${r.trapsRated}</td><td>${f(r.outlierZ)}</td><td class="l">${r.screened ? esc(r.reasons.join('; ')) : 'kept'}</td></tr>`,
    )
    .join('');
  const items = report.items
    .map((r) => `<tr><td class="l">${esc(r.item)}</td><td class="l">${esc(r.system)}</td><td>${r.n}</td><td>${f(r.mean)}</td></tr>`)
    .join('');
  const inviteForm = adminCsrf
    ? `<form method="post" action="/admin/tests/${test.id}/invites"><input type="hidden" name="csrf" value="${esc(adminCsrf)}">
<label>Invite <input type="number" name="count" min="1" max="500" value="5"></label> <label>label <input name="label" maxlength="60"></label>
<button type="submit">Create invitation links</button></form>`
    : '';
  const inviteList = invites.length ? `<h3>New invitation links</h3><pre id="invites">${invites.map(esc).join('\n')}</pre>` : '';
  return page(
    `MOS: ${test.name}`,
    `<p><a href="/admin">All tests</a></p><h1>${esc(test.name)} (${esc(test.scale.toUpperCase())}, ${info.min}-${info.max})</h1>
<p id="rating-count">${report.ratings} ratings from ${report.raters.length} raters; ${report.raters.filter((r) => r.screened).length} screened.
<a href="/admin/tests/${test.id}/export.csv">CSV</a> · <a href="/admin/tests/${test.id}/export.json">JSON</a></p>
${inviteForm}${inviteList}
<h2>Per system, screened raters removed</h2>${mosPlot(report.systemsScreened, info.min, info.max)}${systemsTable(report.systemsScreened)}
<h2>Per system, all raters</h2>${systemsTable(report.systems)}
<h2>Paired comparisons (Wilcoxon signed-rank on per-item means)</h2><h3>Screened</h3>${pairedTable(report.pairedScreened)}<h3>All raters</h3>${pairedTable(report.paired)}
<h2>Raters</h2><table><tr><th>id</th><th class="l">label</th><th>n</th><th>mean</th><th>SD</th><th>traps failed</th><th>disagreement z</th><th class="l">screening</th></tr>${raters}</table>
<h2>Items</h2><table><tr><th class="l">item</th><th class="l">system</th><th>n</th><th>mean</th></tr>${items}</table>`,
  );
}
