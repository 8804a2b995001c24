import { FIELD_LABELS, FORM_DEFAULTS, MAX_DURATION_S, MAX_SAMPLES, MIN_DURATION_S } from '../generateForm.js';
import type { ModelEntry } from '../modelCatalog.js';
import { esc, megabytes, page } from './html.js';

export interface AppPageInput {
  models: readonly ModelEntry[];
  csrf: string;
  maxUploadBytes: number;
}

function field(name: string, label: string, value: string | number, hint: string): string {
  return `<div class="field"><label for="${name}">${esc(label)}</label>
<input id="${name}" name="${name}" type="text" inputmode="decimal" value="${esc(value)}" autocomplete="off">
<span class="hint" id="${name}Hint">${esc(hint)}</span><span class="field-error" data-for="${name}" role="alert"></span></div>`;
}

function upload(kind: 'melody' | 'continuation', label: string, hint: string, record: boolean): string {
  return `<div class="field upload" data-kind="${kind}"><label for="${kind}File">${esc(label)}</label>
<input id="${kind}File" type="file" accept="audio/*,.wav,.mp3,.flac,.ogg">
${record ? `<button type="button" class="secondary" id="${kind}Record">Record</button>` : ''}
<button type="button" class="secondary" id="${kind}Clear" hidden>Remove</button>
<input type="hidden" id="${kind}" name="${kind}" value="">
<audio id="${kind}Player" controls preload="metadata" hidden></audio>
<span class="hint" id="${kind}Info">${esc(hint)}</span><span class="hint unavailable" id="${kind}Unavailable" hidden></span>
<span class="field-error" data-for="${kind}" role="alert"></span></div>`;
}

/** The generation page: AudioCraft's MusicGen demo controls, results filled in by /static/app.js. */
export function appPage(p: AppPageInput): string {
  const options = p.models
    .map((m) => `<option value="${esc(m.id)}" data-melody="${m.melody ? 1 : 0}" data-continuation="${m.continuation ? 1 : 0}">${esc(m.label)}</option>`)
    .join('');
  const mb = megabytes(p.maxUploadBytes);
  const samples = Array.from({ length: MAX_SAMPLES }, (_, i) => `<option value="${i + 1}">${i + 1}</option>`).join('');
  const body = `<h1>MusicGen</h1>
<p class="note">Text-to-music with Meta's MusicGen on the CPU (musicgen-ts). Describe the music, optionally give a melody
(melody models) or audio to continue, and press Submit.</p>
<form id="gen" novalidate data-max-upload="${p.maxUploadBytes}">
<div class="field wide"><label for="description">${FIELD_LABELS.description}</label>
<textarea id="description" name="description" rows="3" maxlength="2000" placeholder="An 80s driving pop song with heavy drums and synth pads in the background"></textarea>
<span class="field-error" data-for="description" role="alert"></span></div>
<div class="field"><label for="model">${FIELD_LABELS.model}</label><select id="model" name="model">${options}</select>
<span class="hint" id="modelFull" hidden></span>
<span class="hint" id="queueInfo"></span><span class="field-error" data-for="model" role="alert"></span></div>
${upload('melody', 'Melody (optional)', `WAV, MP3, FLAC or Ogg up to ${mb} MB; melody models only`, true)}
${upload('continuation', 'Continue this audio (optional)', `WAV, MP3, FLAC or Ogg up to ${mb} MB; the duration counts it`, false)}
<div class="field wide"><label for="duration">${FIELD_LABELS.duration}</label>
<input id="duration" name="duration" type="range" min="${MIN_DURATION_S}" max="${MAX_DURATION_S}" step="1" value="${FORM_DEFAULTS.duration}">
<output id="durationValue" for="duration">${FORM_DEFAULTS.duration} s</output>
<span class="hint">over 30 s runs in overlapping windows (extend stride 18 s)</span>
<span class="field-error" data-for="duration" role="alert"></span></div>
<div class="grid">
${field('topK', FIELD_LABELS.topK, FORM_DEFAULTS.topK, 'integer >= 0; 0 disables')}
${field('topP', FIELD_LABELS.topP, FORM_DEFAULTS.topP, '0 to 1; 0 disables (then top-k)')}
${field('temperature', FIELD_LABELS.temperature, FORM_DEFAULTS.temperature, '>= 0')}
${field('cfgCoef', FIELD_LABELS.cfgCoef, FORM_DEFAULTS.cfgCoef, '>= 0')}
${field('seed', FIELD_LABELS.seed, '', 'empty = random')}
<div class="field"><label for="samples">${FIELD_LABELS.samples}</label><select id="samples" name="samples">${samples}</select>
<span class="field-error" data-for="samples" role="alert"></span></div>
</div>
<div class="buttons"><button type="submit" id="submit">Submit</button>
<button type="button" id="interrupt" class="danger" disabled>Interrupt</button></div>
</form>
<section id="status" aria-live="polite" tabindex="-1">
<progress id="progress" max="1" value="0"></progress>
<span id="progressText"></span>
<p id="message"></p>
</section>
<section id="takes" aria-labelledby="takesTitle">
<h2 id="takesTitle">Takes</h2>
<p class="note" id="takesNote">Finished generations stay here (across reloads) until you remove them or their files expire an hour after they were made.</p>
<div id="takeList"></div>
</section>`;
  return page('MusicGen', body, { csrf: p.csrf, script: true });
}
