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
  /** Share of each clip the page must have played before it reports it heard. */
  minListenRatio: number;
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function player(clip: ClipRow, rated: boolean, heard: boolean): string {
  return `<audio data-clip="${esc(clip.publicId)}" data-rated="${rated ? 1 : 0}" data-heard="${heard ? 1 : 0}" src="/audio/${esc(clip.publicId)}" preload="auto" controls></audio>`;
}

function control(scale: Scale, clip: ClipRow, label: string): string {
  const info = SCALE_INFO[scale];
  const name = `s_${clip.publicId}`;
  if (info.labels) {
    return `<fieldset class="acr"><legend class="note">Your rating of ${esc(label)}</legend>${info.labels
      .map((l, i) => `<label><input type="radio" name="${esc(name)}" value="${info.min + i}" required><span>${info.min + i} ${esc(l)}</span></label>`)
      .join('')}</fieldset>`;
  }
  // No name until moved (rater.js sets it): an untouched slider is never submitted, and the
  // server refuses a page with a clip left unrated.
  const mid = Math.round((info.min + info.max) / 2);
  const [lo, hi] = info.ends ?? [String(info.min), String(info.max)];
  return `<div class="slider"><input type="range" data-name="${esc(name)}" min="${info.min}" max="${info.max}" value="${mid}" aria-label="${esc(label)}: ${info.min} ${esc(lo)} to ${info.max} ${esc(hi)}">
<div class="ends"><span>${info.min} ${esc(lo)}</span><span>${info.max} ${esc(hi)}</span></div>
<p class="note">Your rating: <output id="v_${esc(name)}">not set, move the slider</output></p></div>`;
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
    ? `<div class="clip"><span class="name">Reference</span>${player(a.reference, false, true)}</div>`
    : '';
  const clips = a.clips
    .map((c, i) => {
      const label = a.clips.length > 1 ? `Sample ${letters[i] ?? i + 1}` : 'Sample';
      return `<div class="clip${t.heard.has(c.id) ? ' done' : ''}">
<span class="name">${label}</span>
${player(c, true, t.heard.has(c.id))}
<div class="msg note" role="status"></div>${control(t.scale, c, label)}</div>`;
    })
    .join('\n');
  const body = `<h1>Listening test</h1>
<p class="progress">Page ${t.index + 1} of ${t.total}</p>
<p>${esc(info.question)}</p>${prompt}
<form id="rate" method="post" action="/rate" data-min-listen="${t.minListenRatio}">
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
