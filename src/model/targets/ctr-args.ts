/**
 * What every target constructor shares: the refusal it returns (the `ti->error` text and errno the
 * kernel logs as `<type>: <error> (-E...)`) and the argument readers of dm_read_arg and sscanf.
 */
import { Errno } from '../errno.js';

/** A constructor refusal: the text the kernel logs as `<type>: <error> (-E...)`. */
export interface CtrError {
  readonly error: string;
  readonly errno: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & CtrError);

export const refuse = (error: string, errno: number = Errno.EINVAL): { ok: false } & CtrError => ({
  ok: false,
  error,
  errno,
});

export const UINT_MAX = 0xffffffff;

/** `sscanf("%u%c")` with a range, as dm_read_arg checks an argument. */
export function readUint(text: string | undefined, min: number, max: number): number | null {
  if (text === undefined || !/^[0-9]+$/.test(text)) return null;
  const v = Number(text);
  return v >= min && v <= max ? v : null;
}

/** `sscanf("%llu%c")` of a sector offset. */
export function readSector(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : null;
}
