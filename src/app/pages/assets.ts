/** Stylesheet of the app page. */
export const APP_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 1160px; margin: 1.5rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; box-sizing: border-box; }
#gen, #status { max-width: 880px; }
h1 { font-size: 1.5rem; margin-top: 0; } h2 { font-size: 1.15rem; } h3 { font-size: 1.05rem; margin: 0 0 .3rem; overflow-wrap: anywhere; } h4 { margin: .4rem 0; font-size: .95rem; }
.note, .hint { color: #556; font-size: .9rem; }
.field { margin: .7rem 0; display: flex; flex-direction: column; gap: .2rem; }
.field label { font-weight: 600; }
.field.disabled label { color: #778; }
.upload { flex-direction: row; flex-wrap: wrap; align-items: center; gap: .5rem; } .upload label, .upload audio, .upload .hint { width: 100%; }
textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .4rem; }
/* Touch targets: every control is at least 44 px high (WCAG 2.5.5). */
input[type=text], select { font: inherit; padding: .3rem .5rem; max-width: 14rem; min-height: 44px; box-sizing: border-box; }
input[type=file] { min-height: 44px; max-width: 100%; }
input[type=file]::file-selector-button { min-height: 44px; }
select#model { max-width: 100%; width: 100%; }
input[type=range] { width: 70%; min-height: 44px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); column-gap: 1.2rem; }
.field-error { color: #b00020; font-size: .9rem; min-height: 0; }
.field.invalid input, .field.invalid textarea, .field.invalid select { border: 2px solid #b00020; }
button { font-size: 1rem; min-height: 44px; min-width: 44px; padding: .5rem 1.2rem; background: #2456d6; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
button.secondary { background: #e4e8f2; color: #1d2330; padding: .3rem .8rem; font-size: .95rem; }
button.danger { background: #c0392b; } button:disabled { background: #99a; cursor: default; }
button.secondary:disabled { background: #eef0f4; color: #889; }
.buttons { display: flex; gap: 1rem; margin-top: 1rem; }
#status { margin: 1rem 0; } #status:focus { outline: none; }
progress { width: 60%; height: 1.1rem; vertical-align: middle; }
#progressText { margin-left: .6rem; font-variant-numeric: tabular-nums; }
#message.error { color: #b00020; } #message.ok { color: #1b7a43; }
#takeList { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 26rem), 1fr)); gap: 1rem; align-items: start; }
.take { border: 1px solid #ccd; border-radius: 6px; padding: .8rem; min-width: 0; }
.take-meta, .take-params { margin: .2rem 0; color: #445; font-size: .9rem; font-variant-numeric: tabular-nums; }
.sample { margin: .6rem 0; }
a.download, details a { display: inline-flex; align-items: center; min-height: 44px; }
summary { min-height: 44px; line-height: 44px; cursor: pointer; }
.take-buttons { display: flex; gap: .6rem; flex-wrap: wrap; }
.plot { display: grid; grid-template-columns: 2.8rem 1fr; column-gap: .3rem; margin: .5rem 0; font-size: .75rem; color: #445; }
.plot img { display: block; width: 100%; height: auto; border: 1px solid #dde; min-width: 0; box-sizing: border-box; }
/* Twelve pitch-class rows: tall enough for a label each; the cells are stretched, not smoothed. */
.plot img.chromagram { height: 13rem; image-rendering: pixelated; }
.plot .y-axis { display: flex; align-items: stretch; justify-content: flex-end; gap: .2rem; }
.plot .y-axis .axis-title { writing-mode: vertical-rl; transform: rotate(180deg); text-align: center; }
.plot .y-ticks { display: flex; flex-direction: column; justify-content: space-between; text-align: right; font-variant-numeric: tabular-nums; line-height: 1; }
.plot .y-ticks.rows { justify-content: space-around; }
.plot .x-axis { grid-column: 2; display: flex; justify-content: space-between; font-variant-numeric: tabular-nums; }
.plot .x-title { grid-column: 2; text-align: center; }
audio { width: 100%; }
pre.params { background: #f4f6fb; padding: .6rem; overflow-x: auto; font-size: .85rem; }
@media (max-width: 600px) {
  main { margin: 0; padding: 1rem .75rem; border-radius: 0; box-shadow: none; }
  select#model { padding: .3rem; }
  input[type=range] { width: 100%; }
  progress { width: 100%; } #progressText { margin-left: 0; display: block; }
}
`;

/**
 * Page behaviour (plain browser JavaScript, served as a file: the CSP forbids inline code).
 * Uploads go to /api/upload as raw bytes; Submit posts JSON to /api/generate, then follows the
 * job over server-sent events; the take list comes from /api/takes (the server keeps a browser
 * session's finished takes until they expire) and the form from localStorage. Results are built
 * with DOM calls (no HTML from the server's data).
 */
export const APP_JS = `
(function () {
  'use strict';
  var form = document.getElementById('gen');
  if (!form) return;
  var csrf = document.querySelector('meta[name=csrf-token]').content;
  var maxUpload = Number(form.dataset.maxUpload);
  var submit = document.getElementById('submit');
  var interrupt = document.getElementById('interrupt');
  var progress = document.getElementById('progress');
  var progressText = document.getElementById('progressText');
  var message = document.getElementById('message');
  var statusBox = document.getElementById('status');
  var takeList = document.getElementById('takeList');
  var duration = document.getElementById('duration');
  var durationValue = document.getElementById('durationValue');
  var modelSelect = document.getElementById('model');
  // The tab's job: id, model and its latest event (the queue line and the status line read it).
  var current = null;
  var source = null;
  var leaving = false;
  window.addEventListener('pagehide', function () { leaving = true; });

  function $(id) { return document.getElementById(id); }
  function say(text, kind) { message.textContent = text; message.className = kind || ''; }
  function store(key, value) { try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch (e) { /* storage disabled */ } }
  function stored(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function fieldError(name, text) {
    var el = form.querySelector('.field-error[data-for="' + name + '"]');
    if (!el) return false;
    el.textContent = text;
    var box = el.closest('.field');
    if (box) box.classList.toggle('invalid', !!text);
    return true;
  }
  function clearErrors() {
    form.querySelectorAll('.field-error').forEach(function (el) { fieldError(el.dataset.for, ''); });
  }
  function api(method, url, body, type) {
    var headers = { 'x-csrf-token': csrf, accept: 'application/json' };
    if (type) headers['content-type'] = type;
    return fetch(url, { method: method, credentials: 'same-origin', headers: headers, body: body }).then(function (r) {
      return r.json().catch(function () { return { error: 'the server answered ' + r.status }; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    }, function () { return { ok: false, status: 0, data: { error: 'the server cannot be reached' } }; });
  }
  function seconds(s) { return s < 10 ? s.toFixed(1) + ' s' : Math.round(s) + ' s'; }

  // ---- the form survives a reload (this browser's localStorage) ----
  var FORM_KEY = 'musicgen-form';
  var FIELDS = ['model', 'description', 'duration', 'topK', 'topP', 'temperature', 'cfgCoef', 'seed', 'samples'];
  function hasOption(select, v) { return Array.prototype.some.call(select.options, function (o) { return o.value === v; }); }
  function setField(name, v) {
    if (v === undefined || v === null) return;
    var input = $(name);
    v = String(v);
    if (input.tagName === 'SELECT' && !hasOption(input, v)) return;
    input.value = v;
  }
  function saveForm() {
    var values = {};
    FIELDS.forEach(function (f) { values[f] = $(f).value; });
    store(FORM_KEY, JSON.stringify(values));
  }
  function restoreForm() {
    var saved = null;
    try { saved = JSON.parse(stored(FORM_KEY) || 'null'); } catch (e) { saved = null; }
    if (!saved || typeof saved !== 'object') return;
    FIELDS.forEach(function (f) { if (typeof saved[f] === 'string') setField(f, saved[f]); });
  }
  function showDuration() { durationValue.textContent = duration.value + ' s'; }
  restoreForm();
  showDuration();
  duration.addEventListener('input', showDuration);
  form.addEventListener('input', saveForm);
  form.addEventListener('change', saveForm);

  // ---- controls the chosen model cannot use are disabled, with the reason ----
  function modelOption() { return modelSelect.options[modelSelect.selectedIndex]; }
  function canUse(kind) { var o = modelOption(); return !!o && o.dataset[kind] === '1'; }
  function updateModelControls() {
    ['melody', 'continuation'].forEach(function (kind) {
      var ok = canUse(kind);
      $(kind + 'File').disabled = !ok;
      var rec = $(kind + 'Record');
      if (rec) rec.disabled = !ok;
      var note = $(kind + 'Unavailable');
      note.hidden = ok;
      note.textContent = ok ? '' : kind === 'melody'
        ? modelOption().textContent + ' cannot use a melody: pick a model marked (melody)' + ($(kind).value ? '; the uploaded melody is not sent' : '')
        : modelOption().textContent + ' cannot continue audio (its folder has no EnCodec encoder)';
      $(kind).closest('.field').classList.toggle('disabled', !ok);
    });
  }
  updateModelControls();
  // A long model name does not fit a phone's select: then it is also written out below it.
  var measure = document.createElement('canvas').getContext('2d');
  function showModelName() {
    var o = modelOption(), full = $('modelFull');
    if (!o || !measure) return;
    var st = getComputedStyle(modelSelect);
    measure.font = st.font;
    var need = measure.measureText(o.textContent).width + parseFloat(st.paddingLeft) + parseFloat(st.paddingRight) + 24;
    full.hidden = need <= modelSelect.clientWidth;
    full.textContent = full.hidden ? '' : o.textContent;
  }
  showModelName();
  window.addEventListener('resize', showModelName);
  modelSelect.addEventListener('change', showModelName);

  // ---- the queue line under the model picker ----
  // The server's queue sizes, overridden by what this tab knows about its own job: the line
  // never says idle while the tab's job waits or runs.
  var queueInfo = $('queueInfo');
  var queues = null;
  function renderQueue() {
    if (!queues) { queueInfo.textContent = ''; return; }
    var q = queues.queues[modelSelect.value] || { running: false, waiting: 0 };
    var mine = current && current.model === modelSelect.value ? current.event : null;
    var text;
    if (mine && mine.type === 'queued') {
      text = 'Queue: 1 generating, ' + mine.waiting + ' waiting (yours is number ' + mine.position + ')';
    } else if (mine) {
      text = 'Queue: yours is generating' + (q.waiting ? ', ' + q.waiting + ' waiting' : '');
    } else {
      text = 'Queue: ' + (q.running ? '1 generating' : 'idle') + (q.waiting ? ', ' + q.waiting + ' waiting' : '');
    }
    queueInfo.textContent = text + ' (at most ' + queues.queueLimit + ' can wait)';
  }
  function refreshQueue() {
    fetch('/api/models', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (d) {
      queues = d;
      renderQueue();
    }, function () { queueInfo.textContent = ''; });
  }
  modelSelect.addEventListener('change', function () { updateModelControls(); renderQueue(); refreshQueue(); });
  refreshQueue();
  // Other tabs' jobs come and go: a visible page looks again every few seconds.
  setInterval(function () { if (document.visibilityState === 'visible') refreshQueue(); }, 4000);

  // ---- uploads (file or microphone), with a player for what was picked ----
  function mb(n) { return String(Math.round(n / 104857.6) / 10); }
  var playerUrls = {};
  function setPlayer(kind, blob) {
    var player = $(kind + 'Player');
    if (playerUrls[kind]) URL.revokeObjectURL(playerUrls[kind]);
    playerUrls[kind] = blob ? URL.createObjectURL(blob) : null;
    if (blob) player.src = playerUrls[kind]; else player.removeAttribute('src');
    player.hidden = !blob;
  }
  function setUpload(kind, info) {
    $(kind).value = info ? info.id : '';
    $(kind + 'Clear').hidden = !info;
    $(kind + 'Info').textContent = info
      ? 'uploaded: ' + info.durationS.toFixed(1) + ' s, ' + info.sampleRate + ' Hz, ' + info.channels + ' channel' + (info.channels === 1 ? '' : 's') + (info.truncated ? ' (only the first 120 s are used)' : '')
      : '';
    updateModelControls();
  }
  function upload(kind, bytes, size) {
    fieldError(kind, '');
    setUpload(kind, null);
    setPlayer(kind, null);
    if (size > maxUpload) {
      fieldError(kind, 'the file is larger than the ' + mb(maxUpload) + ' MB upload limit');
      return Promise.resolve();
    }
    $(kind + 'Info').textContent = 'uploading…';
    return api('POST', '/api/upload?kind=' + kind, bytes, 'application/octet-stream').then(function (r) {
      if (r.ok) { setUpload(kind, r.data); setPlayer(kind, bytes instanceof Blob ? bytes : new Blob([bytes], { type: 'audio/wav' })); }
      else { $(kind + 'Info').textContent = ''; fieldError(kind, r.data.error || 'upload failed'); $(kind + 'File').value = ''; }
    });
  }
  ['melody', 'continuation'].forEach(function (kind) {
    var input = $(kind + 'File');
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      if (f) upload(kind, f, f.size);
    });
    $(kind + 'Clear').addEventListener('click', function () { input.value = ''; setUpload(kind, null); setPlayer(kind, null); fieldError(kind, ''); input.focus(); });
  });

  // Microphone: MediaRecorder's webm/ogg is decoded by the browser and re-encoded as a WAV,
  // which the server's decoder reads.
  function wavBytes(buffer) {
    var ch = buffer.numberOfChannels, n = buffer.length, rate = buffer.sampleRate;
    var out = new DataView(new ArrayBuffer(44 + n * ch * 2));
    function str(o, s) { for (var i = 0; i < s.length; i++) out.setUint8(o + i, s.charCodeAt(i)); }
    str(0, 'RIFF'); out.setUint32(4, 36 + n * ch * 2, true); str(8, 'WAVE'); str(12, 'fmt ');
    out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, ch, true);
    out.setUint32(24, rate, true); out.setUint32(28, rate * ch * 2, true); out.setUint16(32, ch * 2, true);
    out.setUint16(34, 16, true); str(36, 'data'); out.setUint32(40, n * ch * 2, true);
    var data = []; for (var c = 0; c < ch; c++) data.push(buffer.getChannelData(c));
    for (var i = 0, o = 44; i < n; i++) for (c = 0; c < ch; c++, o += 2) {
      var v = Math.max(-1, Math.min(1, data[c][i]));
      out.setInt16(o, v < 0 ? v * 32768 : v * 32767, true);
    }
    return new Uint8Array(out.buffer);
  }
  var recordButton = $('melodyRecord');
  var recorder = null;
  if (recordButton) {
    if (!window.MediaRecorder || !navigator.mediaDevices) recordButton.hidden = true;
    recordButton.addEventListener('click', function () {
      if (recorder) { recorder.stop(); return; }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        var chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.ondataavailable = function (e) { chunks.push(e.data); };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          recorder = null;
          recordButton.textContent = 'Record';
          new Blob(chunks).arrayBuffer().then(function (ab) {
            return new AudioContext().decodeAudioData(ab);
          }).then(function (buf) {
            var wav = wavBytes(buf);
            return upload('melody', wav, wav.length);
          }).catch(function () { fieldError('melody', 'the recording could not be decoded; try a file instead'); });
        };
        recorder.start();
        recordButton.textContent = 'Stop recording';
        // Melodies longer than 30 s are cut by the model anyway.
        setTimeout(function () { if (recorder) recorder.stop(); }, 30000);
      }, function () { fieldError('melody', 'the microphone is not available (permission denied or no device)'); });
    });
  }

  // ---- generation ----
  function value(id) { return $(id).value; }
  // Focus never falls to the page body: it moves to the button that makes sense next.
  function focusLost() { var a = document.activeElement; return !a || a === document.body || a === statusBox || (a.disabled === true); }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (current) return;
    clearErrors();
    say('');
    var body = {
      model: value('model'), description: value('description'), duration: value('duration'),
      topK: value('topK'), topP: value('topP'), temperature: value('temperature'), cfgCoef: value('cfgCoef'),
      seed: value('seed'), samples: Number(value('samples')),
      melody: canUse('melody') && value('melody') || null, continuation: canUse('continuation') && value('continuation') || null
    };
    var hadFocus = document.activeElement === submit;
    statusBox.focus();
    submit.disabled = true;
    api('POST', '/api/generate', JSON.stringify(body), 'application/json').then(function (r) {
      if (!r.ok) {
        submit.disabled = false;
        refreshQueue(); // e.g. "the queue is full": the queue line must agree
        // Every field the server found wrong at once, each next to its control.
        var fields = r.data.fields || (r.data.field ? [{ field: r.data.field, message: r.data.error }] : []);
        var shown = fields.filter(function (f) { return fieldError(f.field, f.message); });
        if (shown.length === 0) { say(r.data.error || 'the request failed', 'error'); submit.focus(); return; }
        say(shown.length === 1 ? 'Please fix the highlighted field.' : 'Please fix the ' + shown.length + ' highlighted fields.', 'error');
        var first = form.querySelector('.field.invalid input:not([type=hidden]):not([disabled]), .field.invalid textarea, .field.invalid select');
        (first || submit).focus();
        return;
      }
      $('seedHint').textContent = 'empty = random; this run uses seed ' + r.data.params.seed;
      follow(r.data.job, body.model);
      if (hadFocus || focusLost()) interrupt.focus();
    });
  });

  function finish(text, kind, keep) {
    if (source) { source.close(); source = null; }
    // A lost connection keeps the job remembered: a reload picks it up again.
    if (!keep) try { sessionStorage.removeItem('musicgen-job'); } catch (e) { /* storage disabled */ }
    // The outcome first, then the queue line: it may say idle only once the page says the job ended.
    say(text, kind);
    current = null;
    refreshQueue();
    renderQueue();
    submit.disabled = false;
    interrupt.disabled = true;
    if (focusLost() || document.activeElement === interrupt) submit.focus();
  }
  // No step count or ETA outlives the run it described.
  function clearProgress() {
    progress.max = 1;
    progress.value = 0;
    progressText.textContent = '';
  }

  function follow(id, model) {
    current = { id: id, model: model, event: null };
    // Remembered for this tab, so a reload picks the job up again.
    try { sessionStorage.setItem('musicgen-job', JSON.stringify({ id: id, model: model })); } catch (e) { /* storage disabled */ }
    interrupt.disabled = false;
    submit.disabled = true;
    clearProgress();
    source = new EventSource('/api/jobs/' + id + '/events');
    function on(type, handler) {
      source.addEventListener(type, function (e) {
        var d = JSON.parse(e.data);
        if (current && current.id === id) { current.event = d; renderQueue(); }
        handler(d);
      });
    }
    on('queued', function (d) {
      var wait = d.waitS === null ? 'the wait is known once a generation of this model has finished' : 'about ' + seconds(d.waitS) + ' to wait';
      say('Waiting in the queue: position ' + d.position + ' of ' + d.waiting + ' (at most ' + d.limit + ' wait); ' + wait + '.');
      progressText.textContent = '';
    });
    on('started', function () { say('Starting…'); refreshQueue(); });
    on('loading', function () { say('Loading the model…'); });
    on('progress', function (d) {
      progress.max = d.total;
      progress.value = d.done;
      progressText.textContent = 'step ' + d.done + ' / ' + d.total + (d.etaS === null ? '' : ' · ETA ' + seconds(d.etaS));
      say('Generating…');
    });
    on('decoding', function (d) {
      progress.max = Math.max(1, d.total);
      progress.value = progress.max;
      progressText.textContent = 'step ' + d.total + ' / ' + d.total + ' · decoding the audio';
      say('Decoding the audio and drawing its pictures…');
    });
    on('done', function () {
      progress.value = progress.max;
      progressText.textContent = progressText.textContent.replace(/ · .*$/, '');
      finish('Done: the take is at the top of the list below.', 'ok');
      loadTakes();
    });
    on('failed', function (d) { clearProgress(); finish('Failed: ' + d.message, 'error'); });
    on('interrupted', function (d) { clearProgress(); finish(d.message, 'error'); });
    source.onerror = function () {
      if (!leaving && current && source && source.readyState === 2) {
        clearProgress();
        finish('Lost the connection to the server: reload the page to follow the generation again.', 'error', true);
      }
    };
  }

  // After a reload: follow the tab's running job (the stream replays its latest state).
  var remembered = null;
  try { remembered = JSON.parse(sessionStorage.getItem('musicgen-job') || 'null'); } catch (e) { remembered = false; }
  if (remembered && typeof remembered.id === 'string' && typeof remembered.model === 'string') {
    submit.disabled = true;
    api('GET', '/api/jobs/' + encodeURIComponent(remembered.id)).then(function (r) {
      if (r.ok && ['queued', 'loading', 'running'].indexOf(r.data.status) >= 0) { follow(remembered.id, remembered.model); return; }
      // Finished (its take is listed), expired or from an old server run: forget it quietly.
      try { sessionStorage.removeItem('musicgen-job'); } catch (e) { /* storage disabled */ }
      submit.disabled = false;
    });
  } else if (remembered !== null) {
    try { sessionStorage.removeItem('musicgen-job'); } catch (e) { /* storage disabled */ }
  }

  interrupt.addEventListener('click', function () {
    if (!current) return;
    statusBox.focus();
    interrupt.disabled = true;
    say('Interrupting…');
    api('POST', '/api/jobs/' + current.id + '/interrupt', '{}', 'application/json');
  });

  // ---- the take list: the server keeps every finished take of this browser for an hour ----
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function ticks(max, n, unit) {
    var out = [];
    for (var i = 0; i <= n; i++) {
      var v = (max * i) / n;
      out.push(String(Math.round(v * 100) / 100) + (unit || ''));
    }
    return out;
  }
  // A picture with its axes drawn by the page: y labels top to bottom, x labels left to right.
  function plot(img, yLabels, xLabels, yTitle, xTitle) {
    var box = el('div', { class: 'plot' });
    var y = el('div', { class: 'y-axis', 'aria-hidden': 'true' });
    if (yTitle) y.appendChild(el('span', { class: 'axis-title' }, yTitle));
    // Categories (pitch classes) label the middle of their rows; values label the edges.
    var yt = el('div', { class: yLabels.length > 6 ? 'y-ticks rows' : 'y-ticks' });
    yLabels.forEach(function (t) { yt.appendChild(el('span', {}, t)); });
    y.appendChild(yt);
    box.appendChild(y);
    box.appendChild(img);
    var x = el('div', { class: 'x-axis', 'aria-hidden': 'true' });
    xLabels.forEach(function (t) { x.appendChild(el('span', {}, t)); });
    box.appendChild(x);
    box.appendChild(el('div', { class: 'x-title', 'aria-hidden': 'true' }, xTitle));
    return box;
  }
  var LABELS = { duration: 'duration', topK: 'top-k', topP: 'top-p', temperature: 'temperature', cfgCoef: 'CFG', seed: 'seed' };
  function takeSummary(p) {
    return Object.keys(LABELS).filter(function (k) { return p[k] !== undefined; }).map(function (k) {
      return LABELS[k] + ' ' + p[k] + (k === 'duration' ? ' s' : '');
    }).join(' · ');
  }
  var expiryTimers = {};
  function renderTake(t) {
    var r = t.result, p = r.params;
    var index = new Date(t.finishedAt).toLocaleTimeString();
    var card = el('article', { class: 'take', 'data-job': t.job });
    card.appendChild(el('h3', {}, t.description.trim() || '(no description)'));
    card.appendChild(el('p', { class: 'take-meta' }, t.modelLabel + ' · made at ' + index));
    card.appendChild(el('p', { class: 'take-params' }, takeSummary(p)));
    r.samples.forEach(function (s, i) {
      var box = el('div', { class: 'sample' });
      if (r.samples.length > 1) box.appendChild(el('h4', {}, 'Sample ' + (i + 1)));
      box.appendChild(el('audio', { controls: '', src: s.url, preload: 'metadata', 'aria-label': 'take ' + index + ' sample ' + (i + 1) }));
      box.appendChild(el('a', { href: s.url, download: s.downloadName, class: 'download' }, 'Download WAV (' + s.durationS.toFixed(2) + ' s)'));
      var time = ticks(s.durationS, 4, '');
      box.appendChild(plot(el('img', { src: s.waveformUrl, alt: 'waveform of take ' + index + ' sample ' + (i + 1), class: 'waveform' }), ['+1', '0', '−1'], time, '', 'time (s)'));
      box.appendChild(plot(el('img', { src: s.spectrogramUrl, alt: 'spectrogram of take ' + index + ' sample ' + (i + 1), class: 'spectrogram' }), ticks(r.sampleRate / 2000, 4, '').reverse(), time, 'kHz', 'time (s)'));
      if (s.chromaMatchRate !== null) box.appendChild(el('p', { class: 'match' }, 'Chroma match rate with the melody: ' + (100 * s.chromaMatchRate).toFixed(1) + ' %'));
      card.appendChild(box);
    });
    if (r.melodyChromaUrl) {
      var m = el('div', { class: 'melody' });
      m.appendChild(el('h4', {}, 'Melody chromagram'));
      var melodyS = p.melody && typeof p.melody.seconds === 'number' ? p.melody.seconds : 0;
      var notes = ['B', 'A#', 'A', 'G#', 'G', 'F#', 'F', 'E', 'D#', 'D', 'C#', 'C'];
      m.appendChild(plot(el('img', { src: r.melodyChromaUrl, alt: 'chromagram of the melody', class: 'chromagram' }), notes, ticks(melodyS, 4, ''), 'pitch', 'time (s)'));
      card.appendChild(m);
    }
    var details = el('details', { class: 'params' });
    details.appendChild(el('summary', {}, 'All parameters'));
    details.appendChild(el('pre', { class: 'params' }, JSON.stringify(p, null, 2)));
    details.appendChild(el('a', { href: r.paramsUrl, download: 'params.json' }, 'Download params.json'));
    card.appendChild(details);
    var buttons = el('div', { class: 'take-buttons' });
    var use = el('button', { type: 'button', class: 'secondary use' }, 'Use these settings');
    use.addEventListener('click', function () { useSettings(t); });
    var remove = el('button', { type: 'button', class: 'secondary remove' }, 'Remove');
    remove.addEventListener('click', function () { removeTake(t, card); });
    buttons.appendChild(use);
    buttons.appendChild(remove);
    card.appendChild(buttons);
    card.appendChild(el('p', { class: 'note expiry' }, 'Files are deleted at ' + new Date(r.expiresAt).toLocaleTimeString() + '.'));
    // The server deletes the files at expiresAt; the card goes with them.
    clearTimeout(expiryTimers[t.job]);
    expiryTimers[t.job] = setTimeout(function () { card.remove(); }, Math.max(0, Math.min(r.expiresAt - Date.now(), 2147483647)));
    return card;
  }
  function loadTakes() {
    return api('GET', '/api/takes').then(function (r) {
      if (!r.ok) return;
      var keep = {};
      takeList.querySelectorAll('.take').forEach(function (c) { keep[c.dataset.job] = c; });
      // A take already shown keeps its element, so a player that is playing keeps playing.
      var cards = r.data.takes.map(function (t) { return keep[t.job] || renderTake(t); });
      takeList.textContent = '';
      cards.forEach(function (c) { takeList.appendChild(c); });
      $('takesNote').hidden = false;
    });
  }
  function useSettings(t) {
    var p = t.result.params;
    setField('model', t.model);
    setField('description', t.description);
    ['duration', 'topK', 'topP', 'temperature', 'cfgCoef', 'seed', 'samples'].forEach(function (f) { setField(f, p[f]); });
    showDuration();
    saveForm();
    clearErrors();
    updateModelControls();
    renderQueue();
    var extra = p.melody || p.continuation ? ' It used an uploaded ' + (p.melody ? 'melody' : 'prompt') + ': upload it again to reproduce it.' : '';
    say('The settings of this take are in the form (seed ' + p.seed + '): press Submit to generate it again.' + extra, 'ok');
    submit.focus();
  }
  function removeTake(t, card) {
    api('POST', '/api/jobs/' + t.job + '/remove', '{}', 'application/json').then(function (r) {
      if (!r.ok && r.status !== 404) { say(r.data.error || 'could not remove the take', 'error'); return; }
      var next = card.nextElementSibling || card.previousElementSibling;
      card.remove();
      var focusable = next && next.querySelector('button.remove');
      (focusable || submit).focus();
    });
  }
  loadTakes();
})();
`;
