/**
 * The lab's side of a conform run: the script on a fresh lab machine, as `thinlab sh --no-record`
 * and the transcript tests run it, with the VM's lvm.conf in place so both sides run LVM alike.
 */
import { LabShell } from '../lab/lab-shell.js';
import type { StackId } from '../model/stack.js';
import { VM_LVM_CONF } from './vm-stacks.js';

export interface LabTranscript {
  readonly text: string;
  readonly status: number;
}

export function runInLab(
  script: string,
  options: { ramdiskKb: number; files: ReadonlyMap<string, Uint8Array>; stack: StackId },
): LabTranscript {
  const shell = new LabShell({ ramdiskKb: options.ramdiskKb, files: options.files, stack: options.stack });
  const setup = shell.runScript(`cat > /etc/lvm/lvm.conf <<'CONF'\n${VM_LVM_CONF}CONF\n`);
  // The VM's /init wrote the same file without a word: anything printed here is a lab bug.
  if (setup !== '') throw new Error(`writing lvm.conf in the lab printed: ${setup}`);
  const text = shell.runScript(script);
  return { text, status: shell.exitStatus ?? Number(shell.lastStatus) };
}

/** The RAM disk size a script asks for with a `# RAMDISK_KB=N` line, as the fixtures and the oracle read it. */
export function ramdiskKbOfScript(script: string): number | undefined {
  const m = /^# RAMDISK_KB=([1-9][0-9]*)$/m.exec(script);
  return m === null ? undefined : Number(m[1]);
}
