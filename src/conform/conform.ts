/**
 * `thinlab conform`: one script in the lab and in a real-kernel VM built from Debian's packages,
 * compared. The CLI gives everything it read (the script, its files, the options, the PATH, the
 * cache folder); this module checks the host, builds or reuses the VM, runs both sides and returns
 * the report.
 */
import { join } from 'node:path';
import { STACK_VERSIONS, type StackId } from '../model/stack.js';
import { compareTranscripts } from './compare.js';
import { DECOMPRESS_TOOLS, FETCH_TOOLS, findCommand, RUN_TOOLS, requireTools } from './host-tools.js';
import { runInLab } from './lab-run.js';
import type { ConformReport } from './report.js';
import { ensureImage } from './vm-image.js';
import { ensureSysroot, type PackageSource, sysrootCached } from './vm-packages.js';
import { runInVm } from './vm-run.js';
import { VM_STACKS } from './vm-stacks.js';

export interface ConformRequest {
  /** The script's name as the user gave it (for the report). */
  readonly scriptName: string;
  readonly script: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly stack: StackId;
  readonly ramdiskKb: number;
  readonly cacheDir: string;
  readonly source: PackageSource;
  readonly timeoutS: number;
  /** The folders of the PATH, where the host's programs are looked for. */
  readonly pathDirs: readonly string[];
  /** Whether thinlab runs as root (apt's sandbox user must then be root too). */
  readonly asRoot: boolean;
  /** One line of progress (fetching, building, booting) for stderr. */
  readonly progress: (line: string) => void;
}

export async function conform(req: ConformRequest): Promise<ConformReport> {
  requireTools(RUN_TOOLS, req.pathDirs);
  const stackDir = join(req.cacheDir, req.stack);
  const vmStack = VM_STACKS[req.stack];
  // Everything the first run needs is checked before it downloads anything.
  if (!sysrootCached(stackDir)) requireTools([...FETCH_TOOLS, ...DECOMPRESS_TOOLS], req.pathDirs);
  const sysroot = ensureSysroot(req.stack, stackDir, req.source, req.asRoot, req.progress);
  const image = ensureImage(sysroot.dir, stackDir, vmStack, {
    progress: req.progress,
    beforeBuild: () => requireTools(DECOMPRESS_TOOLS, req.pathDirs),
  });
  req.progress(`running ${req.scriptName} in the VM (Linux ${image.kernelRelease}, software emulation)`);
  const qemu = findCommand('qemu-system-x86_64', req.pathDirs)!;
  const kernel = await runInVm(qemu, image, {
    script: req.script,
    files: req.files,
    ramdiskKb: req.ramdiskKb,
    timeoutS: req.timeoutS,
  });
  const lab = runInLab(req.script, { ramdiskKb: req.ramdiskKb, files: req.files, stack: req.stack });
  return {
    script: req.scriptName,
    stack: req.stack,
    ramdiskKb: req.ramdiskKb,
    modelled: STACK_VERSIONS[req.stack],
    fixturesKernelRelease: vmStack.fixturesKernelRelease,
    vm: kernel.versions,
    comparison: compareTranscripts(lab, kernel),
  };
}
