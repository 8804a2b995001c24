/** Stylesheet of the app page. */
export const APP_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 880px; margin: 1.5rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
h1 { font-size: 1.5rem; margin-top: 0; } h2 { font-size: 1.15rem; }
.note, .hint { color: #556; font-size: .9rem; }
.field { margin: .7rem 0; display: flex; flex-direction: column; gap: .2rem; }
.field label { font-weight: 600; }
.upload { flex-direction: row; flex-wrap: wrap; align-items: center; gap: .5rem; } .upload label { width: 100%; }
textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .4rem; }
input[type=text], select { font: inherit; padding: .3rem; max-width: 14rem; }
select#model { max-width: 100%; }
input[type=range] { width: 70%; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); column-gap: 1.2rem; }
.field-error { color: #b00020; font-size: .9rem; min-height: 0; }
.field.invalid input, .field.invalid textarea { border: 2px solid #b00020; }
button { font-size: 1rem; padding: .5rem 1.2rem; background: #2456d6; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
button.secondary { background: #e4e8f2; color: #1d2330; padding: .3rem .8rem; font-size: .9rem; }
button.danger { background: #c0392b; } button:disabled { background: #99a; cursor: default; }
.buttons { display: flex; gap: 1rem; margin-top: 1rem; }
#status { margin: 1rem 0; } progress { width: 60%; height: 1.1rem; vertical-align: middle; }
#progressText { margin-left: .6rem; font-variant-numeric: tabular-nums; }
#message.error { color: #b00020; } #message.ok { color: #1b7a43; }
.sample { border: 1px solid #ccd; border-radius: 6px; padding: .8rem; margin: .8rem 0; }
.sample img, .melody img { display: block; max-width: 100%; margin: .4rem 0; border: 1px solid #dde; }
audio { width: 100%; }
pre.params { background: #f4f6fb; padding: .6rem; overflow-x: auto; font-size: .85rem; }
`;

/**
 * Page behaviour (plain browser JavaScript, served as a file: the CSP forbids inline code).
 * Uploads go to /api/upload as raw bytes; Submit posts JSON to /api/generate, then follows the
 * job over server-sent events; results are built with DOM calls (no HTML from the server's data).
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
  var results = document.getElementById('results');
  var duration = document.getElementById('duration');
  var durationValue = document.getElementById('durationValue');
  var current = null;
  var source = null;
  var leaving = false;
  window.addEventListener('pagehide', function () { leaving = true; });

  function $(id) { return document.getElementById(id); }
  function say(text, kind) { message.textContent = text; message.className = kind || ''; }
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

  duration.addEventListener('input', function () { durationValue.textContent = duration.value + ' s'; });

  // The chosen model's queue: one generation at a time per model, a bounded number waiting.
  var queueInfo = $('queueInfo');
  function refreshQueue() {
    fetch('/api/models', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (d) {
      var q = d.queues[$('model').value] || { running: false, waiting: 0 };
      queueInfo.textContent = 'Queue: ' + (q.running ? '1 generating' : 'idle') + (q.waiting ? ', ' + q.waiting + ' waiting' : '') +
        ' (at most ' + d.queueLimit + ' can wait)';
    }, function () { queueInfo.textContent = ''; });
  }
  $('model').addEventListener('change', refreshQueue);
  refreshQueue();

  // ---- uploads (file or microphone) ----
  function mb(n) { return String(Math.round(n / 104857.6) / 10); }
  function setUpload(kind, info) {
    $(kind).value = info ? info.id : '';
    $(kind + 'Clear').hidden = !info;
    $(kind + 'Info').textContent = info
      ? 'uploaded: ' + info.durationS.toFixed(1) + ' s, ' + info.sampleRate + ' Hz, ' + info.channels + ' channel' + (info.channels === 1 ? '' : 's') + (info.truncated ? ' (only the first 120 s are used)' : '')
      : '';
  }
  function upload(kind, bytes, size) {
    fieldError(kind, '');
    setUpload(kind, null);
    if (size > maxUpload) {
      fieldError(kind, 'the file is larger than the ' + mb(maxUpload) + ' MB upload limit');
      return Promise.resolve();
    }
    $(kind + 'Info').textContent = 'uploading…';
    return api('POST', '/api/upload?kind=' + kind, bytes, 'application/octet-stream').then(function (r) {
      if (r.ok) setUpload(kind, r.data);
      else { $(kind + 'Info').textContent = ''; fieldError(kind, r.data.error || 'upload failed'); $(kind + 'File').value = ''; }
    });
  }
  ['melody', 'continuation'].forEach(function (kind) {
    var input = $(kind + 'File');
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      if (f) upload(kind, f, f.size);
    });
    $(kind + 'Clear').addEventListener('click', function () { input.value = ''; setUpload(kind, null); fieldError(kind, ''); });
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
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearErrors();
    say('');
    var body = {
      model: value('model'), description: value('description'), duration: value('duration'),
      topK: value('topK'), topP: value('topP'), temperature: value('temperature'), cfgCoef: value('cfgCoef'),
      seed: value('seed'), samples: Number(value('samples')),
      melody: value('melody') || null, continuation: value('continuation') || null
    };
    submit.disabled = true;
    api('POST', '/api/generate', JSON.stringify(body), 'application/json').then(function (r) {
      if (!r.ok) {
        submit.disabled = false;
        if (!(r.data.field && fieldError(r.data.field, r.data.error))) say(r.data.error || 'the request failed', 'error');
        else say('Please fix the highlighted field.', 'error');
        return;
      }
      follow(r.data.job);
    });
  });

  function finish(text, kind, keep) {
    if (source) { source.close(); source = null; }
    // A lost connection keeps the job remembered: a reload picks it up again.
    if (!keep) try { sessionStorage.removeItem('musicgen-job'); } catch (e) { /* storage disabled */ }
    refreshQueue();
    current = null;
    submit.disabled = false;
    interrupt.disabled = true;
    say(text, kind);
  }

  function follow(id) {
    current = id;
    // Remembered for this tab, so a reload picks the job up again.
    try { sessionStorage.setItem('musicgen-job', id); } catch (e) { /* storage disabled */ }
    interrupt.disabled = false;
    progress.value = 0;
    progress.max = 1;
    progressText.textContent = '';
    results.textContent = '';
    source = new EventSource('/api/jobs/' + id + '/events');
    source.addEventListener('queued', function (e) {
      var d = JSON.parse(e.data);
      say('Waiting in the queue: position ' + d.position + ' of ' + d.waiting + ' (at most ' + d.limit + ' wait).');
      refreshQueue();
    });
    source.addEventListener('started', function () { say('Starting…'); refreshQueue(); });
    source.addEventListener('loading', function () { say('Loading the model…'); });
    source.addEventListener('progress', function (e) {
      var d = JSON.parse(e.data);
      progress.max = d.total;
      progress.value = d.done;
      progressText.textContent = 'step ' + d.done + ' / ' + d.total + (d.etaS === null ? '' : ' · ETA ' + d.etaS.toFixed(1) + ' s');
      say('Generating…');
    });
    source.addEventListener('done', function (e) {
      var d = JSON.parse(e.data);
      progress.value = progress.max;
      finish('Done.', 'ok');
      show(d.result);
    });
    source.addEventListener('failed', function (e) { finish('Failed: ' + JSON.parse(e.data).message, 'error'); });
    source.addEventListener('interrupted', function (e) { finish(JSON.parse(e.data).message, 'error'); });
    source.onerror = function () {
      if (!leaving && current && source && source.readyState === 2) finish('Lost the connection to the server: reload the page to follow the generation again.', 'error', true);
    };
  }

  // After a reload: follow the tab's running job, or show its results (the stream replays the last state).
  var remembered = null;
  try { remembered = sessionStorage.getItem('musicgen-job'); } catch (e) { /* storage disabled */ }
  if (remembered) {
    submit.disabled = true;
    api('GET', '/api/jobs/' + encodeURIComponent(remembered)).then(function (r) {
      if (r.ok) { follow(remembered); return; }
      // Expired or from an old server run: forget it quietly.
      try { sessionStorage.removeItem('musicgen-job'); } catch (e) { /* storage disabled */ }
      submit.disabled = false;
    });
  }

  interrupt.addEventListener('click', function () {
    if (!current) return;
    interrupt.disabled = true;
    say('Interrupting…');
    api('POST', '/api/jobs/' + current + '/interrupt', '{}', 'application/json');
  });

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function show(r) {
    results.textContent = '';
    results.appendChild(el('h2', {}, 'Results'));
    r.samples.forEach(function (s, i) {
      var box = el('div', { class: 'sample' });
      box.appendChild(el('h3', {}, 'Sample ' + (i + 1) + ' (' + s.durationS.toFixed(2) + ' s)'));
      box.appendChild(el('audio', { controls: '', src: s.url, preload: 'metadata' }));
      box.appendChild(el('a', { href: s.url, download: s.downloadName, class: 'download' }, 'Download WAV'));
      box.appendChild(el('img', { src: s.waveformUrl, alt: 'waveform of sample ' + (i + 1), class: 'waveform' }));
      box.appendChild(el('img', { src: s.spectrogramUrl, alt: 'spectrogram of sample ' + (i + 1), class: 'spectrogram' }));
      if (s.chromaMatchRate !== null) box.appendChild(el('p', { class: 'match' }, 'Chroma match rate with the melody: ' + (100 * s.chromaMatchRate).toFixed(1) + ' %'));
      results.appendChild(box);
    });
    if (r.melodyChromaUrl) {
      var m = el('div', { class: 'melody' });
      m.appendChild(el('h3', {}, 'Melody chromagram'));
      m.appendChild(el('p', { class: 'note' }, 'Pitch classes C (bottom) to B (top) over time, as the model reads the melody.'));
      m.appendChild(el('img', { src: r.melodyChromaUrl, alt: 'chromagram of the melody', class: 'chromagram' }));
      results.appendChild(m);
    }
    results.appendChild(el('h3', {}, 'Parameters (to reproduce this result)'));
    results.appendChild(el('pre', { class: 'params' }, JSON.stringify(r.params, null, 2)));
    results.appendChild(el('a', { href: r.paramsUrl, download: 'params.json' }, 'Download params.json'));
    results.appendChild(el('p', { class: 'note' }, 'Files are deleted at ' + new Date(r.expiresAt).toLocaleTimeString() + '.'));
  }
})();
`;
