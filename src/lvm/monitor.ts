/**
 * dmeventd's thin plugin, as the lab runs it: every monitored pool (an active LVM thin pool) is
 * looked at every 10 seconds of simulated time, and when its data or metadata usage is at or above
 * its profile's `thin_pool_autoextend_threshold`, it runs `lvextend --use-policies` on it. The lab
 * looks when a command ends, for every 10 s boundary the clock has crossed since the last look (at
 * least once per command), so a pool filled by one command is extended before the next one runs.
 */
import type { CommandIo } from '../shell/context.js';
import { extendByPolicy, poolUsage, thinPools, type LvmContext } from './lvm-commands.js';
import { readProfile } from './profile.js';

export const MONITOR_INTERVAL_MS = 10_000;

/** What dmeventd prints goes to syslog, not to the script: the lab keeps it in `lvm.monitorLog` (`journalctl -u dm-event`). */
export function runMonitor(ctx: LvmContext): void {
  const now = ctx.machine.nowMs;
  if (thinPools(ctx.lvm).length === 0) {
    ctx.lvm.monitorLastMs = now;
    return;
  }
  for (const { vg, pool } of thinPools(ctx.lvm)) {
    const usage = poolUsage(ctx, vg, pool);
    if (usage === null) continue;
    const policy = readProfile(ctx.fs, pool.profile);
    const stamp = `[${(now / 1000).toFixed(3)}] dmeventd`;
    // dmeventd warns from 80% on, whatever the profile says.
    if (usage.dataPercent >= 80) ctx.lvm.monitorLog.push(`${stamp}: WARNING: Thin pool ${vg.name}-${pool.name} data is now ${usage.dataPercent.toFixed(2)}% full.`);
    if (usage.metadataPercent >= 80) ctx.lvm.monitorLog.push(`${stamp}: WARNING: Thin pool ${vg.name}-${pool.name} metadata is now ${usage.metadataPercent.toFixed(2)}% full.`);
    if (policy.threshold >= 100) continue;
    if (usage.dataPercent < policy.threshold && usage.metadataPercent < policy.threshold) continue;
    let text = '';
    const io: CommandIo = { stdin: new Uint8Array(0), out: (b) => (text += typeof b === 'string' ? b : ''), err: (t) => (text += t) };
    extendByPolicy(ctx, vg, pool, io);
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) ctx.lvm.monitorLog.push(`${stamp}: ${line.trim()}`);
  }
  ctx.lvm.monitorLastMs = now;
}
