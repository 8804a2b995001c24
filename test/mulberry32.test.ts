import { describe, expect, it } from 'vitest';
import { RandomWeights } from '../src/convert/randomWeights.js';
import { seededRandom } from '../src/mos/random.js';
import { mulberry32 } from '../src/mulberry32.js';

// Known answers recorded before the two copies became one: seeded model weights and MOS playlists
// must not change.
const FIRST_FOUR: [number, number[]][] = [
  [0, [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111]],
  [1, [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741]],
  [7, [0.011704753153026104, 0.06195825757458806, 0.97690763277933, 0.6990287057124078]],
  [0x9e3779b9, [0.3588899802416563, 0.10590326134115458, 0.675290479324758, 0.9179345588199794]],
  [0xffffffff, [0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677]],
];

describe('mulberry32', () => {
  it.each(FIRST_FOUR)('seed %d gives the recorded stream, also as the MOS seededRandom', (seed, expected) => {
    const a = mulberry32(seed);
    const b = seededRandom(seed);
    expect([a(), a(), a(), a()]).toEqual(expected);
    expect([b(), b(), b(), b()]).toEqual(expected);
  });

  it('seeded random weights keep their recorded values', () => {
    const w = new RandomWeights(7);
    expect(Array.from(w.read('decoder.model.layers.0.self_attn.q_proj.weight', [2, 3]).data)).toEqual([
      -1.3376542329788208, 1.7347815036773682, 1.1412417888641357, -0.6601683497428894, 0.4924719035625458, -0.332901269197464,
    ]);
    expect(Array.from(w.read('audio_encoder.encoder.layers.0.conv.weight_g', [3]).data)).toEqual([1.3378121852874756, 1.0561469793319702, 0.677664041519165]);
  });
});
