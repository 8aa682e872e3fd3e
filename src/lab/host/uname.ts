/**
 * The running kernel as busybox's `uname` and /proc/version report it, from the machine's kernel
 * (`machine.kernel`: Linux 6.1 on debian12, 6.12 on debian13; fixtures/kernel/127-uname on both).
 * The VM has no host name, so the node name is the kernel's `(none)`.
 */
import type { KernelBehaviour } from '../../model/kernel-behaviour.js';

/** /proc/version: the release, who built it with what, and the build. */
export function procVersionText(kernel: KernelBehaviour): string {
  return `Linux version ${kernel.release} (debian-kernel@lists.debian.org) (${kernel.compiler}) ${kernel.buildVersion}\n`;
}

/** uname's fields in the order busybox prints them, each with its option letter. */
function fields(kernel: KernelBehaviour): ReadonlyArray<readonly [option: string, value: string]> {
  return [
    ['s', 'Linux'],
    ['n', '(none)'],
    ['r', kernel.release],
    ['v', kernel.buildVersion],
    ['m', 'x86_64'],
    ['p', 'unknown'],
    ['i', 'unknown'],
    ['o', 'GNU/Linux'],
  ];
}

/**
 * What `uname` prints for its option letters (none: the kernel name): the chosen fields in
 * busybox's fixed order, whatever order the options came in. `-a` prints every field except the
 * processor and platform, which busybox leaves out of -a when they are `unknown`.
 */
export function unameText(kernel: KernelBehaviour, options: ReadonlySet<string>): string {
  const all = options.has('a');
  const chosen = fields(kernel).filter(([option, value]) =>
    all ? value !== 'unknown' || options.has(option) : options.has(option),
  );
  const shown = chosen.length > 0 ? chosen : fields(kernel).slice(0, 1);
  return `${shown.map(([, value]) => value).join(' ')}\n`;
}
