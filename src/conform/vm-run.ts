/**
 * One run of a script in the real-kernel VM: the cached base initramfs with a second archive
 * appended (the kernel unpacks concatenated archives in order) that holds /scenario.sh and
 * /files/*, booted by qemu in software emulation with the console on the serial port, until /init
 * powers it off or the time runs out.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConformError } from './conform-error.js';
import { type CpioEntry, writeCpio } from './cpio.js';
import { parseConsole, type VmTranscript } from './vm-init.js';
import type { VmImage } from './vm-image.js';

export interface VmRunOptions {
  readonly script: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly ramdiskKb: number;
  readonly timeoutS: number;
}

/** The VM's memory: room for both RAM disks full, and the system besides. */
export function vmMemoryMb(ramdiskKb: number): number {
  return Math.max(1024, Math.ceil((2 * ramdiskKb) / 1024) + 512);
}

export function runArchive(script: string, files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const entries: CpioEntry[] = [
    { kind: 'file', path: 'scenario.sh', data: Buffer.from(script, 'latin1'), executable: true },
    { kind: 'dir', path: 'files' },
    ...[...files].map(([name, data]): CpioEntry => ({ kind: 'file', path: `files/${name}`, data, executable: false })),
  ];
  return writeCpio(entries);
}

export function qemuArgs(image: VmImage, initrd: string, ramdiskKb: number): string[] {
  return [
    ...['-accel', 'tcg', '-m', String(vmMemoryMb(ramdiskKb)), '-nographic', '-no-reboot', '-nic', 'none'],
    ...['-kernel', image.kernelPath, '-initrd', initrd],
    ...['-append', `console=ttyS0 panic=-1 loglevel=1 ramdisk_kb=${ramdiskKb}`],
  ];
}

function bootAndCapture(
  qemu: string,
  args: readonly string[],
  timeoutS: number,
): Promise<{ text: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ConformError('vm-failed', `${qemu} did not start: ${e.message}`));
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), timedOut });
    });
  });
}

/** Runs the script in the VM and returns what it printed, its exit status and the VM's versions. */
export async function runInVm(qemu: string, image: VmImage, options: VmRunOptions): Promise<VmTranscript> {
  const work = mkdtempSync(join(tmpdir(), 'thinlab-conform-'));
  try {
    const initrd = join(work, 'initrd.gz');
    const extra = gzipSync(runArchive(options.script, options.files), { level: 1 });
    writeFileSync(initrd, Buffer.concat([readFileSync(image.initramfsPath), extra]));
    const run = await bootAndCapture(qemu, qemuArgs(image, initrd, options.ramdiskKb), options.timeoutS);
    const transcript = parseConsole(run.text);
    if (transcript !== null) return transcript;
    const tail = run.text.replaceAll('\r', '').trimEnd().split('\n').slice(-8).join('\n  ');
    if (run.timedOut)
      throw new ConformError(
        'vm-timeout',
        `the VM did not finish the script in ${options.timeoutS} s (--timeout-s); its console ended:\n  ${tail}`,
      );
    throw new ConformError('vm-failed', `the VM stopped before the end of the script; its console ended:\n  ${tail}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
