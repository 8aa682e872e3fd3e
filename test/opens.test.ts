/**
 * Opens held by shell redirections (fixtures/kernel/120-opens-remove has the kernel's transcript):
 * a redirection that fails after it opened a device must not leave the device open.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';

function run(script: string): string {
  const shell = new LabShell();
  let out = '';
  for (const step of shell.steps(script)) out += step.output;
  return out;
}

const SETUP = [
  'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create t0 --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
].join('\n');

describe('opens held by redirections', () => {
  it('closes the device when its command ends', () => {
    const out = run(`${SETUP}\nsleep 1 < /dev/mapper/t0\ndmsetup info t0 | grep Open\ndmsetup remove t0; echo rc=$?\n`);
    expect(out).toBe('Open count:        0\nrc=0\n');
  });

  it('closes the device when a later redirection of the same command fails', () => {
    const out = run(`${SETUP}\nsleep 1 < /dev/mapper/t0 > /nonexistent/x; echo rc=$?\ndmsetup info t0 | grep Open\n`);
    expect(out).toBe(
      "/scenario.sh: line 4: can't create /nonexistent/x: nonexistent directory\nrc=1\nOpen count:        0\n",
    );
  });

  it('removes a device marked for deferred removal at its last close, and only then', () => {
    const out = run(
      `${SETUP}\nsleep 5 < /dev/mapper/t0 &\nsleep 1\ndmsetup remove --deferred t0; echo rc=$?\n` +
        'dmsetup ls\nwait\ndmsetup ls\n',
    );
    expect(out).toBe('rc=0\npool\t(254:0)\nt0\t(254:1)\npool\t(254:0)\n');
  });
});
