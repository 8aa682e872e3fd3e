/**
 * One line for one event, as `thinlab log` lists it and `thinlab bisect` names the command at a
 * position. Both used to have their own copy and they drifted apart (one showed a write's byte and
 * errno, the other kept a command's trailing newline), so the line is made here only.
 */
import type { LabEvent } from './lab-events.js';

/**
 * The first line of a command; a longer command is marked with ` ...` after it. The comments a
 * recorded script had before the command are part of its event (they are not events of their
 * own) but not of its line.
 */
function firstLine(command: string): string {
  const all = command.replace(/\n+$/, '').split('\n');
  const start = all.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const lines = start < 0 ? all : all.slice(start);
  return lines.length > 1 ? `${lines[0]} ...` : lines[0]!;
}

export function describeEvent(event: LabEvent): string {
  switch (event.type) {
    case 'ShellCommandRan':
      return `${firstLine(event.data.command)}${event.data.status === 0 ? '' : `   [exit ${event.data.status}]`}`;
    case 'BlocksWritten': {
      const { device, sector, sectors, byte, errno } = event.data;
      return `(write ${sectors} sectors of 0x${byte.toString(16)} at ${device}:${sector}${errno ? `, errno ${errno}` : ''})`;
    }
    case 'ClockAdvanced':
      return `(clock +${event.data.ms} ms)`;
    case 'ImageAttached': {
      const { device, file, sizeBytes, sha256 } = event.data;
      return `(attach ${file} to ${device}: ${sizeBytes} bytes, sha256 ${sha256.slice(0, 16)})`;
    }
  }
}
