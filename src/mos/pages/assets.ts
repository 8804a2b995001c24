/** Stylesheet of every page. Phone first: controls are at least 44 px tall (WCAG target size). */
export const STYLE_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 760px; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
@media (max-width: 600px) { main { margin: 0; padding: 1rem; border-radius: 0; box-shadow: none; } }
h1 { font-size: 1.4rem; } .progress { color: #556; }
.clip { border: 1px solid #ccd; border-radius: 6px; padding: .8rem; margin: .8rem 0; }
.clip.done { border-color: #2a8; background: #f0fbf6; }
.clip .name { font-weight: 600; display: block; margin-bottom: .4rem; }
audio { width: 100%; }
.acr { border: 0; padding: 0; margin: .4rem 0 0; }
.acr label { display: flex; align-items: center; gap: .6rem; min-height: 44px; padding: 0 .4rem; border-radius: 4px; cursor: pointer; }
.acr label:hover { background: #eef3ff; }
.acr input[type=radio] { width: 1.5rem; height: 1.5rem; margin: 0; flex: none; }
.slider { margin-top: .4rem; }
.slider input[type=range] { width: 100%; height: 44px; margin: 0; }
.slider .ends { display: flex; justify-content: space-between; color: #556; font-size: .9rem; white-space: nowrap; }
.slider input[type=range]:not([name]) { opacity: .45; } /* untouched: no value chosen yet */
.slider p { margin: .3rem 0 0; }
.slider output { font-weight: 600; }
button { font-size: 1rem; min-height: 44px; padding: .5rem 1.2rem; background: #2456d6; color: #fff; border: 0; border-radius: 4px; }
button:disabled { background: #99a; }
.error { color: #b00; } .note { color: #556; font-size: .9rem; } .msg { color: #a40; }
table { border-collapse: collapse; margin: .8rem 0; } td, th { border: 1px solid #ccd; padding: .25rem .5rem; text-align: right; }
th { background: #eef; } td.l, th.l { text-align: left; } tr.screened { color: #999; }
.prompt { background: #eef3ff; padding: .6rem; border-radius: 4px; }
`;

/** The site icon (a note on the page colour), served at /favicon.ico and /static/favicon.svg. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2456d6"/><path d="M13 7v13.2a4 4 0 1 0 2 3.4V12l8-2V6z" fill="#fff"/></svg>`;

/**
 * Rater page behaviour. Listening: the page reports the first play of each clip ('start') and,
 * once the clip's played time ranges (the browser's `audio.played`) cover the page's
 * data-min-listen share of it, sends those ranges ('ended'); the server checks them and its own
 * clock and only then counts the clip as heard. Playing a bit, pausing and seeking to the end
 * covers too little and is not sent. Answers: a slider has no form name until it is moved, so an
 * untouched slider is never submitted. Submit is enabled when every clip is heard and answered.
 */
export const RATER_JS = `
(function () {
  var form = document.getElementById('rate');
  if (!form) return;
  var csrf = form.querySelector('input[name=csrf]').value;
  var assignment = Number(form.querySelector('input[name=assignment]').value);
  var minListen = Number(form.dataset.minListen);
  var submit = form.querySelector('button[type=submit]');
  var players = Array.prototype.slice.call(document.querySelectorAll('audio[data-clip]'));
  var rated = players.filter(function (a) { return a.dataset.rated === '1'; });
  var done = {};
  function report(audio, event, ranges) {
    var body = { assignment: assignment, clip: audio.dataset.clip, event: event };
    if (ranges) body.ranges = ranges;
    return fetch('/api/play', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body)
    });
  }
  function playedRanges(a) {
    var out = [];
    for (var i = 0; i < a.played.length; i++) out.push([a.played.start(i), a.played.end(i)]);
    return out;
  }
  function coverage(a) {
    var t = 0;
    for (var i = 0; i < a.played.length; i++) t += a.played.end(i) - a.played.start(i);
    return a.duration > 0 ? t / a.duration : 0;
  }
  function answered(a) {
    var box = a.closest('.clip');
    if (!box) return true;
    if (box.querySelector('input[type=radio]')) return !!box.querySelector('input[type=radio]:checked');
    var r = box.querySelector('input[type=range]');
    return !r || r.hasAttribute('name');
  }
  function update() {
    var heard = rated.every(function (a) { return done[a.dataset.clip]; });
    var all = heard && rated.every(answered);
    submit.disabled = !all;
    var st = document.getElementById('status');
    if (st) st.textContent = all ? 'All clips heard and rated: you can submit.' : !heard ? 'Play every clip to the end to enable submitting.' : 'Rate every clip to enable submitting.';
  }
  function say(a, text) {
    var m = a.closest('.clip') && a.closest('.clip').querySelector('.msg');
    if (m) m.textContent = text;
  }
  players.forEach(function (a) {
    if (a.dataset.heard === '1') done[a.dataset.clip] = true;
    var started = null;
    var sending = false;
    a.addEventListener('play', function () { if (!started) started = report(a, 'start'); });
    function check(atEnd) {
      if (done[a.dataset.clip] || sending || !started || a.dataset.rated !== '1') return;
      if (coverage(a) + 1e-3 < minListen) {
        if (atEnd) say(a, 'Parts of this clip were skipped: play it through from the start to count it.');
        return;
      }
      sending = true;
      var ranges = playedRanges(a);
      // Send the ranges only after the start was recorded, so a slow network cannot reorder them.
      started.then(function () { return report(a, 'ended', ranges); }).then(function (r) {
        sending = false;
        var box = a.closest('.clip');
        if (r.ok) { done[a.dataset.clip] = true; say(a, ''); if (box) box.classList.add('done'); }
        else say(a, 'This did not count yet: please play the whole clip again.');
        update();
      }, function () { sending = false; say(a, 'Network problem: play the clip again.'); });
    }
    a.addEventListener('ended', function () { check(true); });
    a.addEventListener('pause', function () { check(false); });
  });
  document.querySelectorAll('input[type=range][data-name]').forEach(function (r) {
    var out = document.getElementById('v_' + r.dataset.name);
    r.addEventListener('input', function () {
      r.setAttribute('name', r.dataset.name);
      if (out) out.textContent = r.value;
      update();
    });
  });
  document.querySelectorAll('input[type=radio]').forEach(function (r) { r.addEventListener('change', update); });
  update();
})();
`;
