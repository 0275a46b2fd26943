// Base64 without atob / btoa, which an AudioWorkletGlobalScope lacks: the stream runtime reads
// and writes its state there, and decodes its embedded SIMD module.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Each character code's 6 bits, or 255 for a character outside the alphabet. */
const SEXTETS = new Uint8Array(128).fill(255);
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;

/** `bytes` as base64 with padding, as `btoa` gives it. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chars: number[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const triple = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    for (let k = 0; k < 4; k++) {
      chars.push(k <= bytes.length - i ? ALPHABET.charCodeAt((triple >> (18 - 6 * k)) & 63) : 61);
    }
    // Chunks keep String.fromCharCode's argument list short.
    if (chars.length >= 0x8000) parts.push(String.fromCharCode(...chars.splice(0)));
  }
  parts.push(String.fromCharCode(...chars));
  return parts.join('');
}

/**
 * The bytes of base64 `text` (padded or not); null when it is not base64 (a character outside
 * the alphabet, padding inside, or a length no encoding has).
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  let end = text.length;
  if (end % 4 === 0) {
    while (end > text.length - 2 && text.charCodeAt(end - 1) === 61) end--;
  }
  if (end % 4 === 1) return null;
  const bytes = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? SEXTETS[code] : 255;
    if (sextet === 255) return null;
    value = ((value << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (value >> bits) & 0xff;
    }
  }
  return bytes;
}
