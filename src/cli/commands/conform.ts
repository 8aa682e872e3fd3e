import type { CommandSpec } from '../command-spec.js';
import { UsageError } from '../output.js';
import { ORACLE_RAMDISK_KB } from '../ramdisk-presets.js';
import { JSON_OPTION } from './common.js';

const DEFAULT_TIMEOUT_S = 300;

export const command: CommandSpec = {
  name: 'conform',
  help: `usage: thinlab conform SCRIPT [FILE...] [--stack debian12|debian13] [--json]
Runs SCRIPT in the lab and on the real Linux kernel, in a VM built on this machine from Debian's
packages (qemu in software emulation, the distribution kernel, busybox, dmsetup,
thin-provisioning-tools, LVM; fetched once into the cache and unpacked, never installed), and
prints the two transcripts side by side, the differing lines marked (| differs, < lab only,
> kernel only). The used-metadata count of pool status lines, lvs Meta% and the kernel's
timestamps are not compared. Each FILE is /files/<its name> on both sides. The VM is the
kernel oracle's: /dev/ram0 and /dev/ram1 (64 MiB, or the script's '# RAMDISK_KB=N' line),
/patterns/A ... /patterns/H; run 'dmsetup mknodes' after 'dmsetup create'.
Exit 0 when they agree (and so do the exit statuses), 1 when they differ, 2 on bad input,
3 when the kernel side cannot run (what to install is said).
  --stack S       debian12 (Linux 6.1, the default) or debian13 (Linux 6.12)
  --ramdisk-kb N  RAM disk size in KiB (default: the script's RAMDISK_KB line, else ${ORACLE_RAMDISK_KB})
  --cache DIR     where the packages and VM images are kept
                  (default $XDG_CACHE_HOME/thinlab, else ~/.cache/thinlab)
  --mirror URL    the Debian archive to fetch from (default: this machine's Debian source, else
                  http://deb.debian.org/debian)
  --timeout-s N   how long the VM may run (default ${DEFAULT_TIMEOUT_S})
  --json          {script, stack, ramdiskKb, agree, differingRows, lab: {status, versions},
                  kernel: {status, versions, fixturesKernelRelease}, notes, rows: [{kind, lab, kernel}]}
example:
  thinlab conform fixtures/kernel/05-thin-lifecycle.sh
`,
  options: {
    ...JSON_OPTION,
    stack: { type: 'string' },
    'ramdisk-kb': { type: 'string' },
    cache: { type: 'string' },
    mirror: { type: 'string' },
    'timeout-s': { type: 'string' },
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(ctx) {
    const { conformCommand } = await import('../conform-command.js');
    const [script, ...files] = ctx.positionals;
    if (script === undefined) throw new UsageError('conform: which script? (thinlab conform SCRIPT [FILE...])');
    return conformCommand(
      {
        script,
        files,
        stack: ctx.string('stack'),
        ramdiskKb: ctx.string('ramdisk-kb'),
        cache: ctx.string('cache'),
        mirror: ctx.string('mirror'),
        timeoutS: ctx.string('timeout-s') ?? String(DEFAULT_TIMEOUT_S),
        json: ctx.flag('json'),
      },
      ctx.io,
    );
  },
};
