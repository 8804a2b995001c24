import { beforeEach, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/audio/wavCodec.js';
import { NotebookDisplay, type DisplayContent, type TslabDisplay } from '../../src/notebook/display.js';
import { plotlyBundleSource } from '../../src/analysis/figures/figureHtml.js';
import { audioBundle, PLOTLY_MIME, progressHtml, tableBundle } from '../../src/notebook/mime.js';

/** A fake tslab: records every raw() call per display, as the kernel would send them. */
function fakeTslab() {
  const sent: { id: number; mime: string; value: string | Uint8Array }[] = [];
  let next = 0;
  const make = (): TslabDisplay => {
    const id = next++;
    return { raw: (mime, value) => sent.push({ id, mime, value }) };
  };
  return { tslab: { display: make(), newDisplay: make }, sent };
}

function wavOfHtml(html: string) {
  const m = /src="data:audio\/wav;base64,([A-Za-z0-9+/=]+)"/.exec(html);
  expect(m).not.toBeNull();
  return decodeWav(Buffer.from(m![1], 'base64'), 'player');
}

describe('audioBundle', () => {
  it('embeds a playable 16-bit WAV of the channels in an <audio> element', () => {
    const tone = Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 32000));
    const bundle = audioBundle([tone, tone], 32000, { label: 'a <b> & c' });
    const html = bundle['text/html'] as string;
    expect(html).toContain('<audio controls');
    expect(html).toContain('a &lt;b&gt; &amp; c'); // labels are escaped, never HTML
    const wav = wavOfHtml(html);
    expect(wav.sampleRate).toBe(32000);
    expect(wav.channels.length).toBe(2);
    expect(wav.channels[0].length).toBe(16000);
    const maxErr = wav.channels[1].reduce((m, v, i) => Math.max(m, Math.abs(v - tone[i])), 0);
    expect(maxErr).toBeLessThan(1e-4);
    expect(bundle['text/plain']).toBe('[audio a <b> & c: 0.50 s, 32000 Hz, stereo]');
  });
});

describe('tableBundle', () => {
  it('renders records and DataFrame-like objects (columns + values) the same way', () => {
    const records = [
      { system: 'a<b', mos: 3.14159, n: 12 },
      { system: 'c', mos: 2.5, n: 8 },
    ];
    const df = { columns: ['system', 'mos', 'n'], values: records.map((r) => [r.system, r.mos, r.n]) };
    const fromRecords = tableBundle(records, { caption: 'MOS' });
    expect(tableBundle(df, { caption: 'MOS' })).toEqual(fromRecords);
    const html = fromRecords['text/html'] as string;
    expect(html.match(/<tr>/g)?.length).toBe(3); // header + one row per record
    expect(html).toContain('<td>a&lt;b</td>');
    expect(html).toContain('>3.142</td>');
    expect(fromRecords['text/plain']).toBe('MOS\nsystem    mos   n\na<b     3.142  12\nc         2.5   8');
    expect(tableBundle([{ x: 1234.567 }, { x: 0.012345 }])['text/plain']).toBe('      x\n   1235\n0.01235');
  });

  it('says how many rows it left out', () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({ i }));
    const b = tableBundle(rows, { maxRows: 2 });
    expect((b['text/html'] as string).match(/<tr>/g)?.length).toBe(3);
    expect(b['text/html']).toContain('3 more rows not shown');
  });
});

describe('NotebookDisplay', () => {
  // Each test starts as a fresh kernel session (no figure has carried plotly.js yet).
  beforeEach(() => {
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('musicgen-ts.plotlySent')];
  });

  it('sends a figure as one display_data: plotly JSON, HTML with plotly.js, PNG fallback, title', async () => {
    const { tslab, sent } = fakeTslab();
    const messages: DisplayContent[] = [];
    const rendered: unknown[] = [];
    const figurePng = async (f: unknown) => (rendered.push(f), Uint8Array.from([1, 2, 3]));
    const show = new NotebookDisplay(tslab, { writeBundle: (c) => void messages.push(c), figurePng });
    const fig = { data: [{ type: 'heatmap', z: [[1, 2], [3, 4]] }], layout: { title: { text: 'Entropy </script>' } } };
    await show.figure(fig);
    expect(sent).toEqual([]); // nothing through tslab's one-MIME-per-message display
    expect(rendered).toEqual([fig]);
    expect(messages.length).toBe(1);
    const data = messages[0].data;
    expect(Object.keys(data).sort()).toEqual([PLOTLY_MIME, 'image/png', 'text/html', 'text/plain']);
    expect(data[PLOTLY_MIME]).toEqual(fig);
    expect(data['image/png']).toBe('AQID');
    expect(data['text/plain']).toBe('[figure: Entropy </script>]');
    const html = data['text/html'] as string;
    expect(html.length).toBeGreaterThan(plotlyBundleSource().length);
    // The title's "</script>" cannot end the drawing script early.
    expect(html.split('<script>').length).toBe(html.split('</script>').length);
    // The PNG also sits in the HTML as an <img>: untrusted notebooks strip the scripts, keep it.
    expect(html).toContain('<img src="data:image/png;base64,AQID" alt="Entropy &lt;/script&gt;"');

    // plotly.js goes with the first figure of the kernel session only.
    await show.figure({ ...fig, layout: { title: { text: 'second' } } });
    await new NotebookDisplay(tslab, { writeBundle: (c) => void messages.push(c), figurePng }).figure(fig);
    for (const m of messages.slice(1)) {
      const later = m.data['text/html'] as string;
      expect(later.length).toBeLessThan(5000);
      expect(later).toContain('Plotly.newPlot');
      expect(later).toContain('<img src="data:image/png;base64,AQID"');
    }
  });

  it('shows figures without a PNG when told not to render one', async () => {
    const messages: DisplayContent[] = [];
    const show = new NotebookDisplay(fakeTslab().tslab, { writeBundle: (c) => void messages.push(c), figurePng: false });
    await show.figure({ data: [{ type: 'bar', x: ['a'], y: [1] }], layout: {} });
    expect(messages[0].data['image/png']).toBeUndefined();
    expect(messages[0].data['text/plain']).toBe('[figure: figure]');
  });

  it('without a working bundle writer falls back to one MIME type through tslab.display', () => {
    const { tslab, sent } = fakeTslab();
    // A writer that cannot send (the kernel runs another tslab install) behaves like none.
    const show = new NotebookDisplay(tslab, { writeBundle: () => false });
    show.table([{ a: 1 }]);
    show.png(Uint8Array.from([7, 8]));
    expect(sent.map((s) => s.mime)).toEqual(['text/html', 'image/png']);
    expect(Buffer.from(sent[1].value as Uint8Array)).toEqual(Buffer.from([7, 8]));
  });

  it('progress updates one display in place, throttled, and always shows the last step', () => {
    const { tslab, sent } = fakeTslab();
    let t = 0;
    const show = new NotebookDisplay(tslab, { writeBundle: null, now: () => t, progressInterval: 100 });
    const progress = show.progress('decoding');
    for (let step = 1; step <= 50; step++) {
      t += 10;
      progress(step, 50);
    }
    progress.finish('12 steps/s');
    const ids = new Set(sent.map((s) => s.id));
    expect(ids.size).toBe(1);
    // initial draw + one per 100 ms (5 in 500 ms) + finish
    expect(sent.length).toBe(1 + 5 + 1);
    const last = sent[sent.length - 1].value as string;
    expect(last).toContain('50/50 done');
    expect(last).toContain('12 steps/s');
    expect(progressHtml('x', 0, 0, 0)).toContain('0/0 0%');
  });
});
