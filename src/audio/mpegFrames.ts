// Bit rates in kbps by [version group][layer], index 1..14 (0 = free format, 15 = invalid).
const BITRATES: Record<string, number[]> = {
  'v1-l1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  'v1-l2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  'v1-l3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  'v2-l1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  'v2-l23': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/**
 * Whether an MPEG audio stream ends in the middle of a frame, found by walking the frame headers
 * (decoders silently drop a cut last frame, so a download cut short would otherwise go unnoticed).
 * Returns undefined when the stream cannot be walked (free-format bit rate, junk between frames).
 */
export function mpegStreamIsTruncated(bytes: Uint8Array): boolean | undefined {
  let pos = 0;
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33 && bytes.length >= 10) {
    // ID3v2: 10-byte header + syncsafe size (+10 if a footer is flagged).
    const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
    pos = 10 + size + (bytes[5] & 0x10 ? 10 : 0);
  }
  let end = bytes.length;
  // An ID3v1 tag ("TAG", 128 bytes) may follow the last frame.
  if (end >= 128 && bytes[end - 128] === 0x54 && bytes[end - 127] === 0x41 && bytes[end - 126] === 0x47) end -= 128;
  let frames = 0;
  while (pos + 4 <= end) {
    const len = frameLength(bytes, pos);
    if (len === undefined) return frames > 0 && end - pos < 4 ? false : undefined;
    if (pos + len > end) return true;
    pos += len;
    frames++;
  }
  return pos < end && frames > 0 ? true : false;
}

function frameLength(b: Uint8Array, p: number): number | undefined {
  if (b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) return undefined;
  const version = (b[p + 1] >> 3) & 3; // 3 = MPEG1, 2 = MPEG2, 0 = MPEG2.5
  const layer = (b[p + 1] >> 1) & 3; // 3 = Layer I, 2 = II, 1 = III
  const bitrateIndex = b[p + 2] >> 4;
  const rateIndex = (b[p + 2] >> 2) & 3;
  const padding = (b[p + 2] >> 1) & 1;
  if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const v1 = version === 3;
  const table = v1 ? `v1-l${4 - layer}` : layer === 3 ? 'v2-l1' : 'v2-l23';
  const kbps = BITRATES[table][bitrateIndex];
  const sampleRate = SAMPLE_RATES[version][rateIndex];
  if (layer === 3) return (Math.floor((12000 * kbps) / sampleRate) + padding) * 4;
  if (layer === 1 && !v1) return Math.floor((72000 * kbps) / sampleRate) + padding;
  return Math.floor((144000 * kbps) / sampleRate) + padding;
}
