/**
 * dmeventd's thin plugin, as the lab runs it: with lvm.conf's `activation/monitoring` on (LVM's
 * default), an active LVM thin pool is monitored. dmeventd looks at it when the pool raises a
 * device-mapper event (the low-water mark, a mode change, a resize) and otherwise every 10 seconds; from 80 % on it warns at every 5 % step, and when data or
 * metadata usage is at or above the profile's `thin_pool_autoextend_threshold` it runs
 * `lvextend --use-policies`. The lab looks when a command ends, so a pool whose low-water event
 * fired during one command is extended before the next one runs (a real dmeventd may act while
 * the command still runs).
 */
import type { DmDevice } from '../model/machine.js';
import type { CommandIo } from '../shell/io.js';
import { extendByPolicy, type LvmContext, poolDmName, poolUsage, thinPools } from './lvm-commands.js';
import { monitoringEnabled, readProfile } from './profile.js';

export const MONITOR_INTERVAL_MS = 10_000;

/** What dmeventd prints goes to syslog, not to the script: the lab keeps it in `lvm.monitorLog` (`journalctl -u dm-event`). */
export function runMonitor(ctx: LvmContext): void {
  const now = ctx.machine.nowMs;
  const pools = thinPools(ctx.lvm);
  const due = now - ctx.lvm.monitorLastMs >= MONITOR_INTERVAL_MS;
  if (due || pools.length === 0) ctx.lvm.monitorLastMs = now;
  // lvm.conf's activation/monitoring = 0: LVM never registers the pools with dmeventd.
  if (!monitoringEnabled(ctx.fs)) return;
  for (const { vg, pool } of pools) {
    const name = poolDmName(vg.name, pool);
    const dev = ctx.machine.device(name);
    const usage = poolUsage(ctx, vg, pool);
    if (dev === undefined || usage === null) continue;
    const seen = (ctx.lvm.monitorSeen[name] ??= { events: dev.eventNr, dataStep: 0, metaStep: 0 });
    const dataStep = usage.dataPercent >= 80 ? Math.floor(usage.dataPercent / 5) : 0;
    const metaStep = usage.metadataPercent >= 80 ? Math.floor(usage.metadataPercent / 5) : 0;
    // Between its 10 s looks, dmeventd wakes for the pool's events: above all the low-water mark,
    // which LVM sets from the autoextend threshold, so a write that takes the pool past the
    // threshold wakes it at once (fixtures/lvm/83: the event, then the extension). A pool loaded
    // without a low-water mark (Docker's direct-lvm pool gets its profile after activation) has
    // only the 10 s looks; commands take no simulated time, but in real time dmeventd would have
    // looked while a big write ran, so such a pool that crossed into a new 5 % step from 80 % on
    // is looked at at once.
    const crossed = (dataStep > seen.dataStep || metaStep > seen.metaStep) && !hasLowWaterMark(dev);
    if (!due && !crossed && seen.events === dev.eventNr) continue;
    seen.events = dev.eventNr;
    const stamp = `[${(now / 1000).toFixed(3)}] dmeventd`;
    if (dataStep > seen.dataStep)
      ctx.lvm.monitorLog.push(
        `${stamp}: WARNING: Thin pool ${name} data is now ${usage.dataPercent.toFixed(2)}% full.`,
      );
    if (metaStep > seen.metaStep)
      ctx.lvm.monitorLog.push(
        `${stamp}: WARNING: Thin pool ${name} metadata is now ${usage.metadataPercent.toFixed(2)}% full.`,
      );
    seen.dataStep = dataStep;
    seen.metaStep = metaStep;
    const policy = readProfile(ctx.fs, pool.profile);
    if (policy.threshold >= 100) continue;
    if (usage.dataPercent < policy.threshold && usage.metadataPercent < policy.threshold) continue;
    let text = '';
    const io: CommandIo = {
      stdin: new Uint8Array(0),
      out: (b) => (text += typeof b === 'string' ? b : ''),
      err: (t) => (text += t),
    };
    const ok = extendByPolicy(ctx, vg, pool, io);
    for (const line of text.split('\n').filter((l) => l.trim() !== ''))
      ctx.lvm.monitorLog.push(`${stamp}: ${line.trim()}`);
    if (!ok) ctx.lvm.monitorLog.push(`${stamp}: Failed to extend thin ${name}.`);
    // The extension raised an event of its own; it is this look's doing, not a new one.
    seen.events = ctx.machine.device(name)?.eventNr ?? seen.events;
  }
}

/** Whether the pool's table has a data low-water mark (the 5th word of a thin-pool table line). */
function hasLowWaterMark(dev: DmDevice): boolean {
  return dev.live?.type === 'thin-pool' && dev.live.table.lowWaterBlocks > 0;
}
