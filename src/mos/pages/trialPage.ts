import { SCALE_INFO, type Scale } from '../scales.js';
import type { AssignmentView, ClipRow } from '../store.js';
import { esc, page } from './html.js';

export interface TrialPageInput {
  scale: Scale;
  assignment: AssignmentView;
  index: number;
  total: number;
  csrf: string;
  heard: ReadonlySet<number>;
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function player(clip: ClipRow, rated: boolean, heard: boolean): string {
  return `<audio data-clip="${esc(clip.publicId)}" data-rated="${rated ? 1 : 0}" data-heard="${heard ? 1 : 0}" src="/audio/${esc(clip.publicId)}" preload="auto" controls></audio>`;
}

function control(scale: Scale, clip: ClipRow): string {
  const info = SCALE_INFO[scale];
  const name = `s_${clip.publicId}`;
  if (info.labels) {
    return `<div class="scale">${info.labels
      .map((l, i) => `<label><input type="radio" name="${esc(name)}" value="${info.min + i}" required> ${info.min + i} ${esc(l)}</label>`)
      .join('')}</div>`;
  }
  const mid = Math.round((info.min + info.max) / 2);
  return `<div class="scale"><input type="range" name="${esc(name)}" min="${info.min}" max="${info.max}" value="${mid}">
<output id="v_${esc(name)}">${mid}</output></div>`;
}

/**
 * One trial: a clip to rate (ACR/OVL/REL) or a MUSHRA screen (open reference, then every stimulus
 * under a letter, hidden reference and anchors among them). Nothing on the page names a system.
 */
export function trialPage(t: TrialPageInput): string {
  const info = SCALE_INFO[t.scale];
  const a = t.assignment;
  const prompt =
    t.scale === 'rel' || t.scale === 'mushra'
      ? a.prompt
        ? `<p class="prompt">Text description: <strong>${esc(a.prompt)}</strong></p>`
        : ''
      : '';
  const reference = a.reference
    ? `<div class="clip"><label class="name">Reference</label>${player(a.reference, false, true)}</div>`
    : '';
  const clips = a.clips
    .map(
      (c, i) => `<div class="clip${t.heard.has(c.id) ? ' done' : ''}">
<label class="name">${a.clips.length > 1 ? `Sample ${letters[i] ?? i + 1}` : 'Sample'}</label>
${player(c, true, t.heard.has(c.id))}
${control(t.scale, c)}<div class="msg note"></div></div>`,
    )
    .join('\n');
  const body = `<h1>Listening test</h1>
<p class="progress">Page ${t.index + 1} of ${t.total}</p>
<p>${esc(info.question)}</p>${prompt}
<form id="rate" method="post" action="/rate">
<input type="hidden" name="csrf" value="${esc(t.csrf)}">
<input type="hidden" name="assignment" value="${a.id}">
${reference}
${clips}
<p id="status" class="note"></p>
<button type="submit" disabled>Submit and continue</button>
</form>`;
  return page('Listening test', body, { script: true });
}

export function donePage(csrf: string, canContinue: boolean, rated: number): string {
  const more = canContinue
    ? `<form method="post" action="/more"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit">Rate more samples</button></form>`
    : '<p>You have rated every sample of this test.</p>';
  return page('Thank you', `<h1>Thank you!</h1><p>You rated ${rated} page${rated === 1 ? '' : 's'}. Your answers are saved.</p>${more}`);
}
