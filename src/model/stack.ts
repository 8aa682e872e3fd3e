/**
 * The software stack a lab reproduces. The oracle (`../shared/oracle/kernel-dm-thin`) runs two:
 * Debian 12's (Linux 6.1, thin-provisioning-tools 0.9.0, LVM 2.03.16, busybox 1.35) and Debian 13's
 * (Linux 6.12, thin-provisioning-tools 1.1.0, LVM 2.03.31, busybox 1.37). A lab is one of them for
 * its whole history: the stack is chosen when a branch is made and a replay uses the same one.
 * Where the stacks differ, the code asks the machine's `stack` (data or a small strategy per stack),
 * never a second copy of the model.
 */
export const STACK_IDS = ['debian12', 'debian13'] as const;
export type StackId = (typeof STACK_IDS)[number];
export const DEFAULT_STACK: StackId = 'debian12';

export function isStackId(text: string): text is StackId {
  return (STACK_IDS as readonly string[]).includes(text);
}

/** The versions of what each stack runs, as `at`, `log` and the docs name them. */
export interface StackVersions {
  readonly kernel: string;
  readonly thinProvisioningTools: string;
  readonly lvm: string;
  readonly dmsetup: string;
  readonly busybox: string;
}

export const STACK_VERSIONS: Readonly<Record<StackId, StackVersions>> = {
  debian12: { kernel: '6.1', thinProvisioningTools: '0.9.0', lvm: '2.03.16', dmsetup: '1.02.185', busybox: '1.35.0' },
  debian13: { kernel: '6.12', thinProvisioningTools: '1.1.0', lvm: '2.03.31', dmsetup: '1.02.205', busybox: '1.37.0' },
};

/** A stack as `log`, `at` and `branches` name it: `debian12 (Linux 6.1, thin-provisioning-tools 0.9.0, LVM 2.03.16)`. */
export function describeStack(stack: StackId): string {
  const v = STACK_VERSIONS[stack];
  return `${stack} (Linux ${v.kernel}, thin-provisioning-tools ${v.thinProvisioningTools}, LVM ${v.lvm})`;
}
