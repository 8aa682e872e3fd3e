/**
 * Expected failures are values, not exceptions: a command that the kernel refuses returns
 * `{ ok: false, errno }` with the errno the kernel would give, and the caller decides what to print.
 */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Fail = { readonly ok: false; readonly errno: number };
export type Result<T> = Ok<T> | Fail;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const OK_VOID: Ok<undefined> = { ok: true, value: undefined };
export const fail = (errno: number): Fail => ({ ok: false, errno });
