/**
 * The line busybox prints before an applet's usage text, which names its version and Debian's
 * package version: each stack's VM has its own busybox (Debian 12's 1.35, Debian 13's 1.37;
 * fixtures/kernel/85-losetup and its debian13 transcript). Only the banner is known to differ:
 * the usage texts the lab prints were seen on 1.35 and the debian13 transcripts print the same.
 */
import { STACK_VERSIONS, type StackId } from '../model/stack.js';

/** Debian's package version of busybox-static on each stack. */
const BUSYBOX_PACKAGE_VERSIONS: Readonly<Record<StackId, string>> = {
  debian12: '1:1.35.0-4+deb12u1+b1',
  debian13: '1:1.37.0-6+b9',
};

/** What busybox prints before an applet's usage text, with the blank line after it. */
export function busyboxBanner(stack: StackId): string {
  return `BusyBox v${STACK_VERSIONS[stack].busybox} (Debian ${BUSYBOX_PACKAGE_VERSIONS[stack]}) multi-call binary.\n\n`;
}
