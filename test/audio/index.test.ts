import { describe, expect, it } from 'vitest';
import * as audio from '../../src/audio/index.js';
import { MusicgenError } from '../../src/errors.js';

describe('src/audio public API', () => {
  it('exports the toolkit and its errors extend MusicgenError', () => {
    for (const name of ['readAudio', 'writeAudio', 'resample', 'convertAudio', 'loudness', 'normalizeAudio', 'extractChroma', 'chromaMatchRate', 'chromagramPng'] as const) {
      expect(typeof audio[name]).toBe('function');
    }
    expect(audio.MELODY_CHROMA_LENGTH).toBe(235);
    expect(new audio.AudioDecodeError('x.wav', 'why')).toBeInstanceOf(MusicgenError);
    expect(new audio.AudioWriteError('w')).toBeInstanceOf(MusicgenError);
    expect(new audio.InvalidAudioError('i').name).toBe('InvalidAudioError');
  });
});
