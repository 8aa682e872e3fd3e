/**
 * Bytes and text in the lab's one encoding. The oracle VM's tools treat a file as bytes, and the
 * lab's commands print text, so every conversion maps a byte to the character with the same code
 * (latin1): no byte is ever lost or merged, whatever a file holds. A leaf module, so that the
 * domains (LVM, Docker, containerd) can use it without importing the shell or the text tools.
 */
const dec = new TextDecoder('latin1');

const ascii = new TextEncoder();
const NOT_ASCII = /[\u0080-\uffff]/;

export function latin1Bytes(text: string): Uint8Array {
  // Most text is ASCII, where UTF-8 is the same bytes: the native encoder is many times faster
  // than the loop below (`seq 1 1000000000 | wc -l` encodes 10 GB of digits).
  if (text.length > 256 && !NOT_ASCII.test(text)) return ascii.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function latin1Text(bytes: Uint8Array): string {
  return dec.decode(bytes);
}

/** The parts one after the other in one array (the part itself when there is only one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
