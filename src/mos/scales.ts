/**
 * Rating scales. ACR is ITU-T P.800's 1-5 absolute category rating (AudioCraft's mos.py);
 * OVL and REL are the MusicGen paper's overall-quality and text-relevance scales (1-100);
 * MUSHRA is ITU-R BS.1534 (0-100, hidden reference and 3.5 / 7 kHz low-pass anchors).
 */
export type Scale = 'acr' | 'ovl' | 'rel' | 'mushra';

export const SCALES: readonly Scale[] = ['acr', 'ovl', 'rel', 'mushra'];

export interface ScaleInfo {
  min: number;
  max: number;
  /** Whether scores must be whole numbers. */
  integer: boolean;
  question: string;
  /** A trap clip counts as failed when rated above this. */
  trapMax: number;
  labels?: readonly string[];
  /** Slider scales: what the two ends mean, printed under the slider. */
  ends?: readonly [string, string];
}

export const SCALE_INFO: Record<Scale, ScaleInfo> = {
  acr: {
    min: 1,
    max: 5,
    integer: true,
    question: 'How would you rate the overall quality of this music?',
    trapMax: 2,
    labels: ['Bad', 'Poor', 'Fair', 'Good', 'Excellent'],
  },
  ovl: { min: 1, max: 100, integer: true, question: 'Overall quality of the music (1-100)', trapMax: 40, ends: ['Bad', 'Excellent'] },
  rel: {
    min: 1,
    max: 100,
    integer: true,
    question: 'How well does the music match the text description? (1-100)',
    trapMax: 40,
    ends: ['Not at all', 'Perfectly'],
  },
  // In MUSHRA the "trap" is the hidden reference, which must be rated high (see stats.ts).
  mushra: {
    min: 0,
    max: 100,
    integer: true,
    question: 'Rate each sample against the reference (0-100)',
    trapMax: 100,
    ends: ['Bad', 'Excellent'], // BS.1534's scale runs Bad, Poor, Fair, Good, Excellent
  },
};

export function isScale(x: string): x is Scale {
  return (SCALES as readonly string[]).includes(x);
}

/** MUSHRA post-screening (BS.1534-3): hidden reference rated below 90 in more than 15 % of trials. */
export const MUSHRA_REFERENCE_MIN = 90;
