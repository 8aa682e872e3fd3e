/**
 * The device-mapper operations beneath each recorded command: what a command made the kernel do
 * is part of its event, in order, with refusals; a replay that does other operations diverges.
 */
import { describe, expect, it } from 'vitest';
import { DivergenceError, LabRuntime } from './lab-runtime.js';

const POOL = 'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes';

describe('operations recorded under a command', () => {
  it('lists what dmsetup made the kernel do, and what it refused', () => {
    const lab = LabRuntime.fresh();
    const created = lab.runCommand(POOL);
    expect(created.type === 'ShellCommandRan' && created.data.operations).toEqual([
      'dm create pool',
      'dm load pool: 0 131072 thin-pool /dev/ram0 /dev/ram1 128 0',
      'dm resume pool',
    ]);
    lab.runCommand('dmsetup message pool 0 "create_thin 0"');
    const again = lab.runCommand('dmsetup message pool 0 "create_thin 0"');
    expect(again.type === 'ShellCommandRan' && again.data.operations).toEqual([
      'dm message pool 0 create_thin 0 -> EEXIST',
    ]);
    const nothing = lab.runCommand('echo hello');
    expect(nothing.type === 'ShellCommandRan' && nothing.data.operations).toEqual([]);
  });

  it('replays the same operations, and refuses a log whose operations the lab would not do', () => {
    const recorder = LabRuntime.fresh();
    const events = [POOL, 'dmsetup message pool 0 "create_thin 0"'].map((c) => recorder.runCommand(c));
    const replay = LabRuntime.fresh();
    events.forEach((e, i) => replay.apply(e, `main@${i + 1}`));
    const forged = events[1]!;
    if (forged.type !== 'ShellCommandRan') throw new Error('a shell command');
    const other = LabRuntime.fresh();
    other.apply(events[0]!, 'main@1');
    const altered = { ...forged, data: { ...forged.data, operations: ['dm message pool 0 create_thin 1'] } };
    let thrown: unknown = null;
    try {
      other.apply(altered, 'main@2');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DivergenceError);
    expect((thrown as Error).message).toMatch(
      /main@2: 'dmsetup message pool 0 "create_thin 0"' did other device-mapper operations/,
    );
  });

  it('does not check operations of events recorded before they were (version 2)', () => {
    const lab = LabRuntime.fresh();
    expect(() =>
      lab.apply({ type: 'ShellCommandRan', version: 3, data: { command: POOL, output: '', status: 0 } }, 'main@1'),
    ).not.toThrow();
  });
});
