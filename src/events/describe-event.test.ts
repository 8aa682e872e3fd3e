import { describe, expect, it } from 'vitest';
import { describeEvent } from './describe-event.js';

describe('describeEvent', () => {
  it('gives a command its first line, marks a longer one and a failure, and ignores a trailing newline', () => {
    const ran = (command: string, status: number) =>
      describeEvent({ type: 'ShellCommandRan', version: 3, data: { command, output: '', status } });
    expect(ran('dmsetup ls', 0)).toBe('dmsetup ls');
    expect(ran('dmsetup ls\n', 0)).toBe('dmsetup ls');
    expect(ran('for i in 1 2\ndo echo $i\ndone', 0)).toBe('for i in 1 2 ...');
    expect(ran('dd if=/patterns/B of=/dev/mapper/thin', 1)).toBe('dd if=/patterns/B of=/dev/mapper/thin   [exit 1]');
  });

  it('gives a write its byte, place and errno, and a clock step its length', () => {
    expect(
      describeEvent({
        type: 'BlocksWritten',
        version: 1,
        data: { device: 'thin1', sector: 128, sectors: 8, byte: 65, errno: 0 },
      }),
    ).toBe('(write 8 sectors of 0x41 at thin1:128)');
    expect(
      describeEvent({
        type: 'BlocksWritten',
        version: 1,
        data: { device: 'thin1', sector: 0, sectors: 1, byte: 0, errno: 28 },
      }),
    ).toBe('(write 1 sectors of 0x0 at thin1:0, errno 28)');
    expect(describeEvent({ type: 'ClockAdvanced', version: 1, data: { ms: 1500 } })).toBe('(clock +1500 ms)');
  });
});
