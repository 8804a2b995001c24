/** Stylesheet of every page. */
export const STYLE_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 760px; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
h1 { font-size: 1.4rem; } .progress { color: #556; }
.clip { border: 1px solid #ccd; border-radius: 6px; padding: .8rem; margin: .8rem 0; }
.clip.done { border-color: #2a8; background: #f0fbf6; }
.clip label.name { font-weight: 600; display: block; margin-bottom: .4rem; }
.scale label { margin-right: 1rem; } input[type=range] { width: 70%; }
button { font-size: 1rem; padding: .5rem 1.2rem; background: #2456d6; color: #fff; border: 0; border-radius: 4px; }
button:disabled { background: #99a; }
.error { color: #b00; } .note { color: #556; font-size: .9rem; }
table { border-collapse: collapse; margin: .8rem 0; } td, th { border: 1px solid #ccd; padding: .25rem .5rem; text-align: right; }
th { background: #eef; } td.l, th.l { text-align: left; } tr.screened { color: #999; }
.prompt { background: #eef3ff; padding: .6rem; border-radius: 4px; }
`;

/**
 * Rater page behaviour: report playback start (from the beginning) and end to the server, which
 * times them; enable submit when every clip on the page has been accepted as heard to the end.
 * A seek or skip makes the server refuse the end event and the clip has to be played again.
 */
export const RATER_JS = `
(function () {
  var form = document.getElementById('rate');
  if (!form) return;
  var csrf = form.querySelector('input[name=csrf]').value;
  var assignment = Number(form.querySelector('input[name=assignment]').value);
  var submit = form.querySelector('button[type=submit]');
  var players = Array.prototype.slice.call(document.querySelectorAll('audio[data-clip]'));
  var rated = players.filter(function (a) { return a.dataset.rated === '1'; });
  var done = {};
  function report(audio, event) {
    return fetch('/api/play', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ assignment: assignment, clip: audio.dataset.clip, event: event })
    });
  }
  function update() {
    var all = rated.every(function (a) { return done[a.dataset.clip]; });
    submit.disabled = !all;
    var st = document.getElementById('status');
    if (st) st.textContent = all ? 'All clips heard: you can submit.' : 'Play every clip to the end to enable submitting.';
  }
  players.forEach(function (a) {
    if (a.dataset.heard === '1') done[a.dataset.clip] = true;
    var started = Promise.resolve();
    a.addEventListener('play', function () { if (a.currentTime < 0.1) started = report(a, 'start'); });
    a.addEventListener('ended', function () {
      // Send the end only after the start was recorded, so a slow network cannot reorder them.
      started.then(function () { return report(a, 'ended'); }).then(function (r) {
        var box = a.closest('.clip');
        if (r.ok) { done[a.dataset.clip] = true; if (box) box.classList.add('done'); }
        else { a.currentTime = 0; var m = box && box.querySelector('.msg'); if (m) m.textContent = 'Please listen to the whole clip without skipping, then it counts.'; }
        update();
      });
    });
  });
  document.querySelectorAll('input[type=range]').forEach(function (r) {
    var out = document.getElementById('v_' + r.name);
    r.addEventListener('input', function () { if (out) out.textContent = r.value; });
  });
  update();
})();
`;
