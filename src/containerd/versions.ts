/**
 * The containerd builds a lab can run, chosen the way a host chooses them: by installing a package
 * version (`apt-get install containerd.io=1.4.3-1`, Docker's repository; `apt-get install
 * containerd` for Debian 12's own), a shell command recorded like every other. Each build carries
 * the small set of behaviours that decide a catalogue incident (docker-devicemapper.md §4), and
 * each behaviour names the change that ended it. A version the lab does not model is refused by name.
 */

export interface ContainerdBuild {
  /** The Debian package that installs it. */
  readonly package: 'containerd' | 'containerd.io';
  /** What `containerd --version` prints. */
  readonly versionLine: string;
  /** The version `docker version` prints for containerd. */
  readonly version: string;
  /**
   * CreateSnapshotDevice saves the new device's record (AddDevice) before it suspends the parent,
   * and a failed suspend returns without marking that record Faulty or removing it: the next
   * snapshot given the same name collides with it (`... is already there ...: object already
   * exists`), for good (containerd/containerd#5110). PR #5111, first released in v1.5.0, suspends
   * the parent before AddDevice, so a failed suspend leaves nothing behind.
   */
  readonly addDeviceBeforeSuspend: boolean;
}

/** By package version, as `apt-get install PACKAGE=VERSION` names them. */
export const CONTAINERD_BUILDS: Readonly<Record<string, ContainerdBuild>> = {
  // Debian 12's package; its snapshotter code is what docker-devicemapper.md §3 describes.
  '1.6.20~ds1-1': {
    package: 'containerd',
    versionLine: 'containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1',
    version: '1.6.20~ds1',
    addDeviceBeforeSuspend: false,
  },
  // Docker's containerd.io 1.4.3-1 (upstream v1.4.3, 2020-12-02), three months before PR #5111.
  '1.4.3-1': {
    package: 'containerd.io',
    versionLine: 'containerd containerd.io 1.4.3 269548fa27e0089a8b8278fc4fc781d7f65a939b',
    version: '1.4.3',
    addDeviceBeforeSuspend: true,
  },
};

export const DEFAULT_CONTAINERD_BUILD = '1.6.20~ds1-1';

/** The package versions of one package the lab models, for apt's refusal. */
export function containerdVersionsOf(pkg: string): string[] {
  return Object.entries(CONTAINERD_BUILDS)
    .filter(([, b]) => b.package === pkg)
    .map(([v]) => v);
}
