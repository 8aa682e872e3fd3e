import { packagePath } from '../../shared/package-root.js';
import type { CommandSpec } from '../command-spec.js';
import { UsageError } from '../output.js';
import { STACK_HELP, STACK_OPTION, stackArg } from './common.js';
import { DOCKER_DEMO_RAMDISK_KB, ORACLE_RAMDISK_KB } from '../ramdisk-presets.js';

export const command: CommandSpec = {
  name: 'demo',
  help: `usage: thinlab demo [tour]
thinlab demo: Docker's devicemapper driver on a direct-lvm thin pool, from set-up to a full pool
and back (demo/docker-devicemapper.sh, RAM disks of ${DOCKER_DEMO_RAMDISK_KB} KiB: thinlab sh
--ramdisk-kb docker-demo runs on the same machine), then a rollback to before the pool filled.
thinlab demo tour: the tour of a bare thin pool's life (scenarios/tour.sh), on the oracle's
${ORACLE_RAMDISK_KB} KiB RAM disks. Both are recorded as branches.
${STACK_HELP.trimEnd()}
examples:
  thinlab demo
  thinlab demo tour --stack debian13
`,
  options: { ...STACK_OPTION },
  maxPositionals: 1,
  async run(ctx) {
    const which = ctx.positionals[0];
    if (which !== undefined && which !== 'tour')
      throw new UsageError(`unknown demo '${which}' (the demos are: thinlab demo, thinlab demo tour)`);
    const stack = stackArg(ctx);
    const { readScript } = await import('../sh-command.js');
    const db = ctx.storeUrl.replace(/^sqlite:/, '');
    if (which === undefined) {
      const { runDockerDemo } = await import('../docker-demo.js');
      const script = readScript(packagePath('demo', 'docker-devicemapper.sh'));
      const r = await ctx.withHistory((h) => runDockerDemo(h, script, ctx.io, stack.stack));
      ctx.io.err(
        `\nrecorded as branch '${r.branch}', and '${r.branch}-before-full' from event ${r.before}, in ${db}` +
          ` (RAM disks of ${DOCKER_DEMO_RAMDISK_KB} KiB: thinlab sh --ramdisk-kb docker-demo). Next:\n` +
          `  npx thinlab ui${ctx.where}   a page in the browser: the pool filling, failing and recovering\n` +
          `  npx thinlab log --branch ${r.branch}${ctx.where}\n  npx thinlab diff ${r.branch}@${r.before} ${r.branch}${ctx.where}\n`,
      );
      return 0;
    }
    const { recordScript } = await import('../history-commands.js');
    const script = readScript(packagePath('scenarios', 'tour.sh'));
    const r = await ctx.withHistory((h) =>
      recordScript(
        h,
        script,
        {
          baseName: 'tour',
          origin: 'demo',
          continueBranch: false,
          ramdiskKb: ORACLE_RAMDISK_KB,
          ...stack,
          trace: true,
        },
        ctx.io,
      ),
    );
    ctx.io.err(
      `\nrecorded as branch '${r.branch}' (${r.length} events) in ${db}. Next:\n` +
        `  npx thinlab log                  the history, one line per command\n` +
        `  npx thinlab at 11                every device after step 5 (sharing broken)\n` +
        `  npx thinlab diff 13 22           what filling, growing and deleting changed\n` +
        `  npx thinlab rollback 13 --name what-if   branch off just before the pool filled,\n` +
        `  npx thinlab sh --continue my-fix.sh      then try another way out from there\n`,
    );
    return 0;
  },
};
