import { encode } from "uqr";

/*
 * The cross-device request as a QR code, drawn on the server as inline SVG by pages.ts (no script, no image
 * request: the page's CSP is unchanged; SVG presentation attributes are not inline styles).
 *
 * Why uqr (unjs/uqr, MIT): pure ESM TypeScript with no dependencies and no install script, the same code in Node
 * and browsers, ~12 KiB minified; it is a port of Project Nayuki's QR Code generator (the reference the others
 * check against). `qrcode` (soldair) was the alternative: CommonJS with three dependencies (pngjs, yargs for its
 * CLI, dijkstrajs) and canvas/PNG code a Lambda never runs.
 *
 * uqr's own renderSVG draws one rectangle per dark module; here each horizontal run of dark modules is one subpath,
 * ~10x smaller; the matrix (uqr's `encode`) is drawn as it is. The code holds the short link of a session
 * (`<public URL>/r/<22 characters>`, about 50 bytes: version 4, 33 x 33 modules at error correction M), not the
 * request by value (about 1.5 KB, version 30+), so a phone camera reads it at arm's length.
 */

/** Quiet zone, in modules: 4 on every side (ISO/IEC 18004 §6.3.8). */
export const QR_QUIET_ZONE = 4;

/**
 * The QR code of `text` (error correction M, quiet zone included) as one SVG path over a `size` x `size` grid of
 * unit modules: what pages.ts draws, labelled, inside the verify page.
 *
 * @example
 * ```ts
 * const { size, path } = qrCode(requestUri);
 * const svg = `<svg viewBox="0 0 ${size} ${size}"><path d="${path}"/></svg>`;
 * ```
 */
export function qrCode(text: string): { size: number; path: string; version: number } {
  const { data, size, version } = encode(text, { ecc: "M", border: QR_QUIET_ZONE });
  let path = "";
  for (let y = 0; y < size; y++) {
    const row = data[y] ?? [];
    for (let x = 0; x < size; x++) {
      if (!row[x]) continue;
      const start = x;
      while (x + 1 < size && row[x + 1]) x++;
      path += `M${start} ${y}h${x - start + 1}v1h-${x - start + 1}z`;
    }
  }
  return { size, path, version };
}
