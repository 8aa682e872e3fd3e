/**
 * Floating-point numbers printed as the tools print them: C's printf (0.9.0) and Rust's `{}` and
 * `{:.2}` (1.1.0). Both round the exact binary value, ties to even, which JavaScript's toFixed does not.
 */

/** C's printf("%0.2f"): exact decimal expansion, ties to even. */
export function cFixed2(x: number): string {
  const s = x.toFixed(100);
  const dot = s.indexOf('.');
  const head = BigInt(s.slice(0, dot) + s.slice(dot + 1, dot + 3));
  const rest = s.slice(dot + 3);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const up = first > 5 || (first === 5 && (tail || head % 2n === 1n));
  const v = (head + (up ? 1n : 0n)).toString().padStart(3, '0');
  return `${v.slice(0, -2)}.${v.slice(-2)}`;
}

/** C's printf("%0.2e"): a two-digit exponent at least. */
export function cExp2(x: number): string {
  const [mant, exp] = x.toExponential(2).split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mant}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
}

/** Rust's `{}` of an f64: the shortest digits that read back the same, never in exponent form. */
export function rustFloatDisplay(x: number): string {
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exp) + 1;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
