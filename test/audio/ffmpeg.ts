import { spawnSync } from 'node:child_process';

/** Runs ffmpeg (quiet, overwrite) and returns its stderr; throws with that stderr if it fails. */
export function ffmpeg(args: string[]): string {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const stderr = r.stderr.toString('utf8');
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed:\n${stderr}`);
  return stderr;
}

/** Decodes a file with ffmpeg to interleaved float32 at its native rate and channel count. */
export function ffmpegDecodeF32(path: string): Float32Array {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-f', 'f32le', '-c:a', 'pcm_f32le', '-'], {
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`ffmpeg decode of ${path} failed: ${r.stderr.toString()}`);
  const b = r.stdout;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Integrated loudness reported by `ffmpeg -af ebur128` (printed with 0.1 LU resolution). */
export function ffmpegIntegratedLoudness(path: string): number {
  const log = ffmpeg(['-nostats', '-i', path, '-af', 'ebur128', '-f', 'null', '-']);
  const m = /Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+) LUFS/.exec(log);
  if (!m) throw new Error(`no integrated loudness in ffmpeg output:\n${log.slice(-2000)}`);
  return Number(m[1]);
}
