/**
 * The LVM commands of the repair workflows people follow (issue 13 item 5): lvrename and vgrename,
 * vgcfgbackup and vgcfgrestore, the metadata swap of `lvconvert`, component activation of
 * `lvchange`. They sit beside src/lvm/lvm-commands.ts (whose helpers they use) and are merged into
 * its handlers here, for the lab's registry (src/lab/commands/lvm.ts).
 */
import type { CommandIo } from '../shell/io.js';
import {
  LVM_HANDLERS,
  type LvmContext,
  type LvmHandler,
  opt,
  parseArgs,
  readingLvmConf,
  requireLv,
  yesNo,
} from './lvm-commands.js';
import { lvdisplay, pvdisplay, stampCreationTimes, vgdisplay } from './lvm-display.js';
import { lvreduce, pvremove, vgreduce } from './lvm-pv-repair.js';
import { lvrename, vgrename } from './lvm-rename.js';
import { activateComponent, deactivateComponent, isMetadataSwap, swapPoolMetadata } from './lvm-swap.js';
import { vgcfgbackup, vgcfgrestore, writeBackupIfChanged } from './vgcfg.js';

function lvconvert(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvconvert', args);
  if (isMetadataSwap(ctx, p)) return swapPoolMetadata(ctx, p, io);
  return LVM_HANDLERS.lvconvert(ctx, args, io);
}

/** lvchange: a pool's hidden volume is activated alone (component activation); the rest as before. */
function lvchange(ctx: LvmContext, args: readonly string[], io: CommandIo): number {
  const p = parseArgs(ctx, 'lvchange', args);
  const activate = yesNo(opt(p, '--activate'), '--activate');
  const components = p.positional
    .map((t) => requireLv(ctx, t))
    .filter(({ lv }) => lv.role === 'pool-metadata' || lv.role === 'pool-data');
  if (components.length === 0 || activate === undefined) return LVM_HANDLERS.lvchange(ctx, args, io);
  for (const { vg, lv } of p.positional.map((t) => requireLv(ctx, t))) {
    if (lv.role === 'pool-metadata' || lv.role === 'pool-data') {
      if (activate) activateComponent(ctx, vg, lv, p.options.has('--yes'), io);
      else deactivateComponent(ctx, vg, lv);
    } else LVM_HANDLERS.lvchange(ctx, [activate ? '-ay' : '-an', `${vg.name}/${lv.name}`], io);
  }
  return 0;
}

/** The commands that only read LVM's metadata (or write the backup themselves). */
const READ_ONLY = new Set(['lvs', 'vgs', 'pvs', 'lvdisplay', 'vgdisplay', 'pvdisplay', 'vgcfgbackup', 'vgcfgrestore']);

/**
 * LVM writes /etc/lvm/backup/VG after each command that changed the group (fixtures/lvm/87 finds
 * it there before any vgcfgbackup); the lab writes every group's after each such command.
 */
function backingUp<T extends Record<string, LvmHandler>>(handlers: T): T {
  const wrapped: Record<string, LvmHandler> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = READ_ONLY.has(name)
      ? handler
      : (ctx, args, io) => {
          const status = stampingCreation(handler)(ctx, args, io);
          // Only a command that changed a group's metadata writes its backup (a refusal changes nothing).
          if (status === 0)
            for (const vg of ctx.lvm.vgs) writeBackupIfChanged(ctx, vg, `${name} ${args.join(' ')}`.trim());
          return status;
        };
  }
  return wrapped as T;
}

/** The volumes a command made get its time as their creation time (lvdisplay prints it). */
function stampingCreation(handler: LvmHandler): LvmHandler {
  return (ctx, args, io) => {
    try {
      return handler(ctx, args, io);
    } finally {
      stampCreationTimes(ctx, ctx.lvm);
    }
  };
}

/** Every LVM command of the lab, by name. */
export const LVM_ALL_HANDLERS = backingUp({
  ...LVM_HANDLERS,
  ...readingLvmConf({
    lvconvert,
    lvchange,
    lvrename,
    vgrename,
    vgcfgbackup,
    vgcfgrestore,
    lvdisplay,
    vgdisplay,
    pvdisplay,
    pvremove,
    vgreduce,
    lvreduce,
  }),
});
