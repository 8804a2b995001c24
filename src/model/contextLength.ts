/**
 * Seconds <-> frames and MusicGen's context limit (docs/ARCHITECTURE.md, "Long form"). The decoder
 * was trained on 30 s (AudioCraft's max_duration: 1500 frames at 50 Hz); longer outputs are made in
 * windows of at most this length, and a melody is read 30 s per window.
 */

/** AudioCraft's max_duration: the decoder's context in seconds. */
export const MAX_DURATION = 30;

/** Frames of `seconds` at `frameRate`, as AudioCraft counts them: int(seconds * frame_rate). */
export function framesForDuration(seconds: number, frameRate: number): number {
  return Math.trunc(seconds * frameRate);
}

/** Frames of one window at most (the decoder's context): 1500 at 50 Hz. */
export function contextFrames(frameRate: number, maxDuration: number = MAX_DURATION): number {
  return framesForDuration(maxDuration, frameRate);
}
