/**
 * busybox's option parsing for the applets the lab runs as plain filters: bundled flags anywhere
 * on the line (getopt32 permutes), `--` ending them. A flag the lab models is returned; one busybox
 * has and the lab does not is refused by name (`cat -n` numbers lines: printing the file unnumbered
 * would be a silent success); any other is busybox's own `invalid option` with the applet's usage.
 */
import { notModelled } from './command-errors.js';
import type { StackId } from '../model/stack.js';
import { busyboxBanner } from './busybox-banner.js';

/** The applets' usage texts, as the VM's BusyBox v1.35.0 prints them. */
export const BUSYBOX_USAGE: Readonly<Record<string, string>> = {
  cat: 'Usage: cat [-nbvteA] [FILE]...\n\nPrint FILEs to stdout\n\n\t-n\tNumber output lines\n\t-b\tNumber nonempty lines\n\t-v\tShow nonprinting characters as ^x or M-x\n\t-t\t...and tabs as ^I\n\t-e\t...and end lines with $\n\t-A\tSame as -vte\n',
  md5sum:
    "Usage: md5sum [-c[sw]] [FILE]...\n\nPrint or check MD5 checksums\n\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines\n",
  rm: 'Usage: rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n\t-f\tNever prompt\n\t-R,-r\tRecurse\n',
};

export type BusyboxArgs =
  | { readonly flags: ReadonlySet<string>; readonly operands: string[] }
  | { readonly error: string };

export function busyboxArgs(
  stack: StackId,
  tool: keyof typeof BUSYBOX_USAGE,
  args: readonly string[],
  modelled: string,
  unmodelled: string,
): BusyboxArgs {
  const flags = new Set<string>();
  const operands: string[] = [];
  let optionsEnd = false;
  for (const a of args) {
    if (optionsEnd || !a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    if (a === '--') {
      optionsEnd = true;
      continue;
    }
    for (const f of a.slice(1)) {
      if (modelled.includes(f)) flags.add(f);
      else if (unmodelled.includes(f)) throw notModelled(`${tool} -${f}`);
      else return { error: `${tool}: invalid option -- '${f}'\n${busyboxBanner(stack)}${BUSYBOX_USAGE[tool]}` };
    }
  }
  return { flags, operands };
}
