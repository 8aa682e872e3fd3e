/**
 * Writes to dm_thin_pool's module parameters (/sys/module/dm_thin_pool/parameters/*). The one the
 * lab has, no_space_timeout, is a `uint` parameter: param_set_uint parses it with kstrtouint in base
 * 0, so `0x10` is 16 and `010` is 8, one trailing newline is allowed and nothing else, a sign, a
 * space or a stray character is EINVAL, and a value above 2^32-1 is ERANGE
 * (fixtures/kernel/104-no-space-timeout).
 */
import { Errno } from './errno.js';
import { fail, ok, type Result } from './result.js';

const UINT_MAX = 0xffffffffn;

/** kstrtouint(text, 0): the value, or EINVAL / ERANGE as the kernel refuses it. */
export function parseKernelUint(text: string): Result<number> {
  let s = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (s.startsWith('+')) s = s.slice(1);
  // _parse_integer_fixup_radix: 0x followed by a hex digit is hex, any other leading 0 octal.
  let base = 10;
  if (s.startsWith('0')) {
    if (/^0[xX][0-9a-fA-F]/.test(s)) {
      base = 16;
      s = s.slice(2);
    } else base = 8;
  }
  const digits = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(s)) return fail(Errno.EINVAL);
  let value = 0n;
  for (const c of s) {
    value = value * BigInt(base) + BigInt(Number.parseInt(c, 16));
    if (value > UINT_MAX) return fail(Errno.ERANGE);
  }
  return ok(Number(value));
}
