/**
 * dmeventd's thin plugin, as the lab runs it: an active LVM thin pool is monitored. dmeventd looks
 * at it when the pool raises a device-mapper event (the low-water mark, a mode change, a resize)
 * and otherwise every 10 seconds; from 80 % on it warns at every 5 % step, and when data or
 * metadata usage is at or above the profile's `thin_pool_autoextend_threshold` it runs
 * `lvextend --use-policies`. The lab looks when a command ends, so a pool filled by one command is
 * extended before the next one runs (a real dmeventd may act while the command still runs).
 */
import type { CommandIo } from '../shell/context.js';
import { extendByPolicy, poolUsage, thinPools, type LvmContext } from './lvm-commands.js';
import { dmName } from './lvm-state.js';
import { readProfile } from './profile.js';

export const MONITOR_INTERVAL_MS = 10_000;

/** What dmeventd prints goes to syslog, not to the script: the lab keeps it in `lvm.monitorLog` (`journalctl -u dm-event`). */
export function runMonitor(ctx: LvmContext): void {
  const now = ctx.machine.nowMs;
  const pools = thinPools(ctx.lvm);
  const due = now - ctx.lvm.monitorLastMs >= MONITOR_INTERVAL_MS;
  if (due || pools.length === 0) ctx.lvm.monitorLastMs = now;
  for (const { vg, pool } of pools) {
    const name = dmName(vg.name, pool.name);
    const dev = ctx.machine.device(name);
    const usage = poolUsage(ctx, vg, pool);
    if (dev === undefined || usage === null) continue;
    const seen = (ctx.lvm.monitorSeen[name] ??= { events: dev.eventNr, dataStep: 0, metaStep: 0 });
    const dataStep = usage.dataPercent >= 80 ? Math.floor(usage.dataPercent / 5) : 0;
    const metaStep = usage.metadataPercent >= 80 ? Math.floor(usage.metadataPercent / 5) : 0;
    // Commands take no simulated time, but in real time dmeventd would have looked while a big
    // write ran: a pool that crossed into a new 5 % step from 80 % on is looked at at once.
    const crossed = dataStep > seen.dataStep || metaStep > seen.metaStep;
    if (!due && !crossed && seen.events === dev.eventNr) continue;
    seen.events = dev.eventNr;
    const stamp = `[${(now / 1000).toFixed(3)}] dmeventd`;
    if (dataStep > seen.dataStep) ctx.lvm.monitorLog.push(`${stamp}: WARNING: Thin pool ${name} data is now ${usage.dataPercent.toFixed(2)}% full.`);
    if (metaStep > seen.metaStep) ctx.lvm.monitorLog.push(`${stamp}: WARNING: Thin pool ${name} metadata is now ${usage.metadataPercent.toFixed(2)}% full.`);
    seen.dataStep = dataStep;
    seen.metaStep = metaStep;
    const policy = readProfile(ctx.fs, pool.profile);
    if (policy.threshold >= 100) continue;
    if (usage.dataPercent < policy.threshold && usage.metadataPercent < policy.threshold) continue;
    let text = '';
    const io: CommandIo = { stdin: new Uint8Array(0), out: (b) => (text += typeof b === 'string' ? b : ''), err: (t) => (text += t) };
    const ok = extendByPolicy(ctx, vg, pool, io);
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) ctx.lvm.monitorLog.push(`${stamp}: ${line.trim()}`);
    if (!ok) ctx.lvm.monitorLog.push(`${stamp}: Failed to extend thin ${name}.`);
    // The extension raised an event of its own; it is this look's doing, not a new one.
    seen.events = ctx.machine.device(name)?.eventNr ?? seen.events;
  }
}
