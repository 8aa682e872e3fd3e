import type { VmVersions } from './report.js';

/** What the Debian 12 VM reports of itself, as the project's fixtures were recorded on it. */
export const DEBIAN12_VM_VERSIONS: VmVersions = {
  kernelRelease: '6.1.0-57-amd64',
  kernel: '6.1.192',
  thinProvisioningTools: '0.9.0',
  dmsetup: '1.02.185',
  lvm: '2.03.16',
  busybox: '1.35.0',
};
