import { describe, expect, it } from 'vitest';
import { decodeEvent, EventDecodeError } from './codec.js';

describe('decodeEvent', () => {
  it("upcasts a v1 shell command, reading a failure from dmsetup's last line", () => {
    const ok = decodeEvent(
      { type: 'ShellCommandRan', version: 1, data: { line: 'dmsetup ls', stdout: 'No devices found\n' } },
      'e1',
    );
    expect(ok).toEqual({
      type: 'ShellCommandRan',
      version: 3,
      data: { command: 'dmsetup ls', output: 'No devices found\n', status: 0 },
    });
    const failed = decodeEvent(
      {
        type: 'ShellCommandRan',
        version: 1,
        data: {
          line: 'dmsetup remove x',
          stdout: 'device-mapper: remove ioctl on x  failed: No such device or address\nCommand failed.\n',
        },
      },
      'e2',
    );
    expect(failed.type === 'ShellCommandRan' && failed.data.status).toBe(1);
  });

  it('reads v2 shell commands without operations (nothing to check), and v3 ones with them', () => {
    const v2 = decodeEvent(
      { type: 'ShellCommandRan', version: 2, data: { command: 'true', output: '', status: 0 } },
      'e',
    );
    expect(v2).toEqual({ type: 'ShellCommandRan', version: 3, data: { command: 'true', output: '', status: 0 } });
    const v3 = {
      type: 'ShellCommandRan',
      version: 3,
      data: { command: 'dmsetup create x', output: '', status: 0, operations: ['dm create x'] },
    } as const;
    expect(decodeEvent(v3, 'e')).toEqual(v3);
    expect(() =>
      decodeEvent(
        { type: 'ShellCommandRan', version: 3, data: { command: 'c', output: '', status: 0, operations: [1] } },
        'main@3',
      ),
    ).toThrow(/main@3: ShellCommandRan v3 needs operations/);
  });

  it("reads a script piece as v4 (mode required), and session 11's v3 with a mode as v4", () => {
    const piece = { command: 'false', output: '', status: 1, operations: [], mode: 'script' } as const;
    expect(decodeEvent({ type: 'ShellCommandRan', version: 4, data: piece }, 'e')).toEqual({
      type: 'ShellCommandRan',
      version: 4,
      data: piece,
    });
    expect(decodeEvent({ type: 'ShellCommandRan', version: 3, data: piece }, 'e')).toEqual({
      type: 'ShellCommandRan',
      version: 4,
      data: piece,
    });
    const { mode: _, ...line } = piece;
    expect(() => decodeEvent({ type: 'ShellCommandRan', version: 4, data: line }, 'main@4')).toThrow(
      /main@4: ShellCommandRan v4 needs a mode/,
    );
    expect(() => decodeEvent({ type: 'ShellCommandRan', version: 5, data: piece }, 'main@5')).toThrow(
      /version 5 is not one this thinlab reads \(1\.\.4\)/,
    );
  });

  it('passes current events through unchanged', () => {
    const e = {
      type: 'BlocksWritten',
      version: 1,
      data: { device: '/dev/mapper/t', sector: 128, sectors: 128, byte: 65, errno: 0 },
    } as const;
    expect(decodeEvent(e, 'e')).toEqual(e);
  });

  it('refuses unknown types, future versions and malformed data with the position named', () => {
    expect(() => decodeEvent({ type: 'Teleported', version: 1, data: {} }, 'main@7')).toThrow(
      /main@7: unknown event type 'Teleported'/,
    );
    expect(() => decodeEvent({ type: 'ClockAdvanced', version: 9, data: { ms: 1 } }, 'main@8')).toThrow(
      EventDecodeError,
    );
    expect(() => decodeEvent({ type: 'ClockAdvanced', version: 1, data: { ms: -1 } }, 'x')).toThrow(/needs ms/);
    expect(() =>
      decodeEvent(
        { type: 'BlocksWritten', version: 1, data: { device: 'd', sector: 0, sectors: 1, byte: 300, errno: 0 } },
        'x',
      ),
    ).toThrow(EventDecodeError);
  });
});
