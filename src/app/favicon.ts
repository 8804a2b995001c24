import { encodePng } from '../audio/png.js';

const SIZE = 32;
const BLUE = [36, 86, 214] as const;
const WHITE = [255, 255, 255] as const;
/** Bar heights (pixels) of the little level meter drawn on the icon. */
const BARS = [10, 18, 26, 14, 22];

/** The app's icon: a level meter, white on the page's blue, as a 32x32 PNG. */
function iconPng(): Uint8Array {
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const bar = Math.floor((x - 3) / 5.4);
      const inBar = x >= 3 && x < 29 && (x - 3) % 5.4 < 3.6 && bar < BARS.length;
      const c = inBar && SIZE - 3 - y < BARS[bar] && y < SIZE - 3 ? WHITE : BLUE;
      rgb.set(c, (y * SIZE + x) * 3);
    }
  }
  return encodePng(SIZE, SIZE, rgb);
}

/**
 * /favicon.ico: an ICO file holding one PNG image (allowed since Windows Vista and read by every
 * current browser): a 6-byte header, one 16-byte directory entry, then the PNG.
 */
export function faviconIco(): Buffer {
  const png = iconPng();
  const head = Buffer.alloc(22);
  head.writeUInt16LE(0, 0); // reserved
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(1, 4); // one image
  head.writeUInt8(SIZE, 6);
  head.writeUInt8(SIZE, 7);
  head.writeUInt8(0, 8); // no palette
  head.writeUInt8(0, 9);
  head.writeUInt16LE(1, 10); // colour planes
  head.writeUInt16LE(24, 12); // bits per pixel
  head.writeUInt32LE(png.length, 14);
  head.writeUInt32LE(22, 18); // offset of the image
  return Buffer.concat([head, png]);
}
