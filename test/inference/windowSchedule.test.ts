import { describe, expect, it } from 'vitest';
import {
  InvalidScheduleError,
  melodyOffsetForWindow,
  melodySegmentForWindow,
  PromptTooLongError,
  windowSchedule,
} from '../../src/inference/windowSchedule.js';

const summary = (ws: ReturnType<typeof windowSchedule>): number[][] =>
  ws.map((w) => [w.startFrame, w.promptFrames, w.newFrames, w.totalFrames]);

describe('windowSchedule (AudioCraft long-form loop, max 30 s, stride 18 s)', () => {
  it('60 s: windows of 1500, 1500, 1200 frames adding 1500, 900, 600', () => {
    const ws = windowSchedule(3000);
    expect(ws.map((w) => w.totalFrames)).toEqual([1500, 1500, 1200]);
    expect(ws.map((w) => w.newFrames)).toEqual([1500, 900, 600]);
    expect(ws.map((w) => w.promptFrames)).toEqual([0, 600, 600]);
    expect(ws.map((w) => w.startFrame)).toEqual([0, 900, 1800]);
    expect(ws.map((w) => w.startTime)).toEqual([0, 18, 36]);
    expect(ws.map((w) => w.index)).toEqual([0, 1, 2]);
  });

  it('70 s: 3500 frames from windows of 1500, 1500, 1500, 800 with 600 frames of prompt after the first', () => {
    const ws = windowSchedule(3500);
    expect(summary(ws)).toEqual([
      [0, 0, 1500, 1500],
      [900, 600, 900, 1500],
      [1800, 600, 900, 1500],
      [2700, 600, 200, 800],
    ]);
    expect(ws.reduce((n, w) => n + w.newFrames, 0)).toBe(3500);
  });

  it('up to 30 s is a single window', () => {
    expect(summary(windowSchedule(750))).toEqual([[0, 0, 750, 750]]);
    expect(summary(windowSchedule(1500))).toEqual([[0, 0, 1500, 1500]]);
    expect(summary(windowSchedule(1501))).toEqual([
      [0, 0, 1500, 1500],
      [900, 600, 1, 601],
    ]);
  });

  it('other strides: 45 s with stride 10 s -> prompts of 20 s', () => {
    const ws = windowSchedule(2250, { extendStride: 10 });
    expect(summary(ws)).toEqual([
      [0, 0, 1500, 1500],
      [500, 1000, 500, 1500],
      [1000, 1000, 250, 1250],
    ]);
  });

  it('a continuation prompt leads the first window and counts in the total', () => {
    // 40 s with a 5 s prompt: the first window holds the prompt and 25 s of new frames
    const ws = windowSchedule(2000, { promptFrames: 250 });
    expect(summary(ws)).toEqual([
      [0, 250, 1250, 1500],
      [900, 600, 500, 1100],
    ]);
    expect(ws[0].promptFrames + ws.reduce((n, w) => n + w.newFrames, 0)).toBe(2000);
    // short output with prompt: one window
    expect(summary(windowSchedule(42, { promptFrames: 25 }))).toEqual([[0, 25, 17, 42]]);
  });

  it('rejects prompts longer than the window or the output, and bad strides', () => {
    expect(() => windowSchedule(3000, { promptFrames: 1501 })).toThrow(PromptTooLongError);
    expect(() => windowSchedule(3000, { promptFrames: 1501 })).toThrow(/longer than one generation window \(30 s\)/);
    expect(() => windowSchedule(100, { promptFrames: 101 })).toThrow(/longer than the requested output/);
    expect(() => windowSchedule(3000, { extendStride: 30 })).toThrow(InvalidScheduleError);
    expect(() => windowSchedule(3000, { extendStride: 0 })).toThrow(/extendStride/);
    expect(() => windowSchedule(0)).toThrow(/totalFrames/);
  });
});

describe('melody offsets per window', () => {
  it('each window reads the melody at its own start time, looping over the melody length', () => {
    const ws = windowSchedule(3500); // starts at 0, 18, 36, 54 s
    expect(ws.map((w) => melodyOffsetForWindow(w, 60))).toEqual([0, 18, 36, 54]);
    expect(ws.map((w) => melodyOffsetForWindow(w, 20))).toEqual([0, 18, 16, 14]);
    expect(ws.map((w) => melodyOffsetForWindow(w, 9))).toEqual([0, 0, 0, 0]);
    expect(() => melodyOffsetForWindow(ws[0], 0)).toThrow(InvalidScheduleError);
  });

  it('melody segment: max-duration samples from int(startTime * sr), modulo the melody length', () => {
    const melody = Float32Array.from({ length: 10 }, (_, i) => i); // 10 samples at 4 Hz = 2.5 s
    const seg = melodySegmentForWindow(melody, { startTime: 2 }, 4, 3); // start sample 8, 12 samples
    expect(Array.from(seg)).toEqual([8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = melodySegmentForWindow(melody, { startTime: 0 }, 4, 1);
    expect(Array.from(first)).toEqual([0, 1, 2, 3]);
  });
});
