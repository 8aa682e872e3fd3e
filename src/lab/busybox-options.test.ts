import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

describe('options the lab does not model, in its busybox applets and systemctl', () => {
  it("are refused by name, or are busybox's own invalid option, and lose nothing", () => {
    const sh = new LabShell();
    sh.runLine('echo abc > /tmp/a');
    const cases: ReadonlyArray<readonly [string, RegExp, string]> = [
      ['cat -n /tmp/a', /^thinlab: not modelled: cat -n\b/, '2'],
      ['cat -x /tmp/a', /^cat: invalid option -- 'x'\nBusyBox v1\.35\.0 .*\n\nUsage: cat \[-nbvteA\]/, '1'],
      ['cp -i /tmp/a /tmp/b', /^thinlab: not modelled: cp -i\b/, '2'],
      ['rm -i /tmp/a', /^thinlab: not modelled: rm -i\b/, '2'],
      ['rm -v /tmp/a', /^rm: invalid option -- 'v'\n/, '1'],
      // getopt_long's words for a long option (the host's busybox 1.35.0), and `APPLET --help`'s usage with status 0.
      ['cat --number /tmp/a', /^cat: unrecognized option '--number'\nBusyBox v1\.35\.0 .*\n\nUsage: cat /, '1'],
      ['md5sum --x=1 /tmp/a', /^md5sum: unrecognized option '--x=1'\n/, '1'],
      ['ls --color=never /tmp', /^thinlab: not modelled: ls --color\b/, '2'],
      ['date --ut', /^thinlab: not modelled: date --utc\b/, '2'],
      ['cat --help', /^BusyBox v1\.35\.0 .*\n\nUsage: cat \[-nbvteA\] \[FILE\]\.\.\.\n/, '0'],
      ['crash now', /^thinlab: not modelled: crash now /, '2'],
      ['seq -w 1 3', /^thinlab: not modelled: seq -w /, '2'],
      ['cut -s -f1 /tmp/a', /^thinlab: not modelled: cut -s /, '2'],
      ['systemctl status containerd', /^thinlab: not modelled: systemctl status of this unit/, '2'],
      ['systemctl frobnicate docker', /^Unknown command verb frobnicate\.\n$/, '1'],
    ];
    for (const [line, output, status] of cases) {
      expect(sh.runLine(line), line).toMatch(output);
      expect(sh.lastStatus, line).toBe(status);
    }
    // Nothing was removed, and the host did not lose power (a table loads).
    expect(sh.runLine('cat -u /tmp/a; md5sum -b /tmp/a')).toBe('abc\n0bee89b07a248e27c83fc3d5951213c1  /tmp/a\n');
    expect(sh.runLine('dmsetup create z --table "0 8 zero"; echo rc=$?')).toBe('rc=0\n');
  });
});
