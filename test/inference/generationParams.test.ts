import { describe, expect, it } from 'vitest';
import { MusicgenError } from '../../src/errors.js';
import {
  DEFAULT_GENERATION_PARAMS,
  InvalidGenerationParamError,
  resolveGenerationParams,
  type GenerationParams,
} from '../../src/inference/generationParams.js';

const OPTS = { maxDuration: 30, frameRate: 50 };

function rejection(partial: unknown): InvalidGenerationParamError {
  try {
    resolveGenerationParams(partial as Partial<GenerationParams>, OPTS);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidGenerationParamError);
    expect(e).toBeInstanceOf(MusicgenError);
    return e as InvalidGenerationParamError;
  }
  throw new Error(`expected ${JSON.stringify(partial)} to be rejected`);
}

describe('defaults', () => {
  it("are AudioCraft's", () => {
    expect(DEFAULT_GENERATION_PARAMS).toEqual({
      useSampling: true,
      topK: 250,
      topP: 0,
      temperature: 1,
      cfgCoef: 3,
      twoStepCfg: false,
      duration: 15,
      extendStride: 18,
    });
    const r = resolveGenerationParams({}, OPTS);
    expect(r).toEqual({ ...DEFAULT_GENERATION_PARAMS, frames: 750 });
    expect(r.seed).toBeUndefined();
    expect(resolveGenerationParams(undefined, OPTS).frames).toBe(750);
  });
});

describe('accepted values', () => {
  it('frames overrides duration and sets it consistently', () => {
    const r = resolveGenerationParams({ duration: 10, frames: 17 }, OPTS);
    expect(r.frames).toBe(17);
    expect(r.duration).toBeCloseTo(0.34, 12);
  });

  it('duration -> int(duration * frameRate) frames as AudioCraft', () => {
    expect(resolveGenerationParams({ duration: 8 }, OPTS).frames).toBe(400);
    expect(resolveGenerationParams({ duration: 0.07 }, OPTS).frames).toBe(3); // 3.5000000000000004 -> 3
    expect(resolveGenerationParams({ duration: 60 }, OPTS).frames).toBe(3000); // long form is allowed
  });

  it('greedy, edges of every range, seed', () => {
    const r = resolveGenerationParams(
      { useSampling: false, topK: 0, topP: 1, temperature: 0, cfgCoef: 0, twoStepCfg: true, extendStride: 29.5, seed: -7 },
      OPTS,
    );
    expect(r).toMatchObject({ useSampling: false, topK: 0, topP: 1, temperature: 0, cfgCoef: 0, twoStepCfg: true, extendStride: 29.5, seed: -7 });
    expect(resolveGenerationParams({ seed: Number.MAX_SAFE_INTEGER }, OPTS).seed).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('undefined values count as absent (optional CLI flags)', () => {
    const r = resolveGenerationParams({ topK: undefined, seed: undefined, frames: undefined }, OPTS);
    expect(r.topK).toBe(250);
    expect('seed' in r).toBe(false);
  });

  it('a base replaces the defaults; a new duration drops the base frames', () => {
    const base = resolveGenerationParams({ frames: 17, topK: 10, seed: 3 }, OPTS);
    expect(resolveGenerationParams({ temperature: 0.5 }, { ...OPTS, base })).toMatchObject({ frames: 17, topK: 10, seed: 3, temperature: 0.5 });
    expect(resolveGenerationParams({ duration: 2 }, { ...OPTS, base }).frames).toBe(100);
  });

  it('maxDuration and frameRate are honoured', () => {
    expect(resolveGenerationParams({ duration: 2, extendStride: 5 }, { maxDuration: 10, frameRate: 25 }).frames).toBe(50);
    // the default stride of 18 s only fits windows longer than 18 s
    expect(() => resolveGenerationParams({}, { maxDuration: 10, frameRate: 50 })).toThrow(/extendStride .*\(0, 10\).*got 18/);
    expect(() => resolveGenerationParams({ extendStride: 10 }, { maxDuration: 10, frameRate: 50 })).toThrow(/\(0, 10\)/);
  });
});

describe('rejections name the parameter, the value and the valid range', () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ topK: -1 }, 'topK', /topK must be an integer >= 0.*got -1/],
    [{ topK: 2.5 }, 'topK', /integer >= 0.*got 2\.5/],
    [{ topK: '250' }, 'topK', /got "250"/],
    [{ topP: 1.5 }, 'topP', /topP must be a number in \[0, 1\].*got 1\.5/],
    [{ topP: -0.1 }, 'topP', /\[0, 1\]/],
    [{ topP: NaN }, 'topP', /got NaN/],
    [{ temperature: -1 }, 'temperature', /temperature must be a finite number >= 0.*got -1/],
    [{ temperature: Infinity }, 'temperature', /got Infinity/],
    [{ cfgCoef: -0.5 }, 'cfgCoef', /cfgCoef must be a finite number >= 0, got -0\.5/],
    [{ cfgCoef: Infinity }, 'cfgCoef', /finite/],
    [{ duration: 0 }, 'duration', /duration must be a finite number of seconds > 0, got 0/],
    [{ duration: -3 }, 'duration', /> 0/],
    [{ duration: 0.01 }, 'duration', /at least one frame \(0\.02 s\)/],
    [{ frames: 0 }, 'frames', /frames must be a positive integer, got 0/],
    [{ frames: 12.5 }, 'frames', /positive integer/],
    [{ extendStride: 0 }, 'extendStride', /extendStride must be a number of seconds in \(0, 30\)/],
    [{ extendStride: 30 }, 'extendStride', /\(0, 30\)/],
    [{ seed: 1.5 }, 'seed', /seed must be a safe integer/],
    [{ seed: 2 ** 60 }, 'seed', /safe integer/],
    [{ useSampling: 'yes' }, 'useSampling', /useSampling must be true or false, got "yes"/],
    [{ twoStepCfg: 1 }, 'twoStepCfg', /true or false/],
  ];
  for (const [partial, param, message] of cases) {
    it(`${JSON.stringify(partial, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, () => {
      const e = rejection(partial);
      expect(e.param).toBe(param);
      expect(e.message).toMatch(message);
      expect(e.name).toBe('InvalidGenerationParamError');
    });
  }

  it('unknown keys are rejected, naming the key and listing the valid ones', () => {
    const e = rejection({ topk: 5 });
    expect(e.param).toBe('topk');
    expect(e.message).toMatch(/unknown generation parameter "topk"/);
    expect(e.message).toContain('useSampling, topK, topP, temperature, cfgCoef, twoStepCfg, duration, frames, extendStride, seed');
  });

  it("AudioCraft's snake_case names get a hint", () => {
    expect(rejection({ top_k: 5 }).message).toMatch(/did you mean topK\?/);
    expect(rejection({ cfg_coef: 5 }).message).toMatch(/did you mean cfgCoef\?/);
  });

  it('a non-object is rejected', () => {
    expect(rejection(null).message).toMatch(/must be an object/);
    expect(rejection([1]).message).toMatch(/must be an object/);
  });
});
