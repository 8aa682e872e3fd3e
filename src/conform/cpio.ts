/**
 * A writer of the "newc" cpio format the kernel unpacks as an initramfs. Written here rather than
 * run through cpio(1) so that the image holds device nodes and root-owned files without root
 * privileges, and the same tree gives the same bytes. Pure: entries in, bytes out.
 */
import { concatBytes } from '../shared/bytes.js';

export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 'file'; readonly path: string; readonly data: Uint8Array; readonly executable: boolean }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'char'; readonly path: string; readonly major: number; readonly minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function padTo4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function modeOf(e: CpioEntry): number {
  switch (e.kind) {
    case 'dir':
      return S_IFDIR | 0o755;
    case 'file':
      return S_IFREG | (e.executable ? 0o755 : 0o644);
    case 'symlink':
      return S_IFLNK | 0o777;
    case 'char':
      return S_IFCHR | 0o600;
  }
}

function dataOf(e: CpioEntry): Uint8Array {
  if (e.kind === 'file') return e.data;
  if (e.kind === 'symlink') return new TextEncoder().encode(e.target);
  return new Uint8Array(0);
}

function header(e: CpioEntry, ino: number, dataLength: number, nameLength: number): string {
  const rdev = e.kind === 'char' ? [e.major, e.minor] : [0, 0];
  const fields = [ino, modeOf(e), 0, 0, e.kind === 'dir' ? 2 : 1, 0, dataLength, 0, 0, rdev[0]!, rdev[1]!];
  return `070701${fields.map(hex8).join('')}${hex8(nameLength)}${hex8(0)}`;
}

/** The archive of `entries` (paths relative to the root, without a leading slash), ending with its trailer. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const all: CpioEntry[] = [
    ...entries,
    { kind: 'file', path: 'TRAILER!!!', data: new Uint8Array(0), executable: false },
  ];
  all.forEach((e, index) => {
    const name = encoder.encode(`${e.path}\0`);
    const data = dataOf(e);
    const isTrailer = index === all.length - 1;
    const head = encoder.encode(header(e, isTrailer ? 0 : index + 1, data.length, name.length));
    parts.push(
      head,
      name,
      new Uint8Array(padTo4(head.length + name.length)),
      data,
      new Uint8Array(padTo4(data.length)),
    );
  });
  return concatBytes(parts);
}
