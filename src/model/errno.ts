/**
 * Linux errno values the lab returns, with the text `strerror(3)` gives for them. Tools such as
 * dmsetup and dd print these texts, so the lab keeps them byte for byte.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  ENOEXEC: 8,
  EAGAIN: 11,
  ENOMEM: 12,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTTY: 25,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  EROFS: 30,
  ERANGE: 34,
  ENODATA: 61,
  EILSEQ: 84,
  EOPNOTSUPP: 95,
} as const;

export type ErrnoName = keyof typeof Errno;
export type ErrnoValue = (typeof Errno)[ErrnoName];

const ERRNO_TEXT: Readonly<Record<number, string>> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  5: 'Input/output error',
  6: 'No such device or address',
  8: 'Exec format error',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  15: 'Block device required',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  21: 'Is a directory',
  25: 'Inappropriate ioctl for device',
  22: 'Invalid argument',
  27: 'File too large',
  28: 'No space left on device',
  30: 'Read-only file system',
  34: 'Numerical result out of range',
  61: 'No data available',
  84: 'Invalid or incomplete multibyte or wide character',
  95: 'Operation not supported',
};

const ERRNO_SYMBOL: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

/** The message `strerror(errno)` prints. */
export function strerror(errno: number): string {
  return ERRNO_TEXT[errno] ?? `Unknown error ${errno}`;
}

/** The symbolic name (`ENOSPC`), used by the kernel's `(-EINVAL)` suffixes on table errors. */
export function errnoSymbol(errno: number): string {
  return ERRNO_SYMBOL[errno] ?? `E${errno}`;
}
