/**
 * ls, stat, date, xargs and awk as busybox 1.35 prints them. Expected texts are the oracle VM's
 * (fixtures/kernel/122-126 hold whole transcripts) or the host's busybox 1.35.0, the same build.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const run = (script: string, stack: 'debian12' | 'debian13' = 'debian12'): string =>
  new LabShell({ ramdiskKb: 4096, stack }).runScript(script);

describe('ls', () => {
  it('prints columns on the console and one name a line into a pipe', () => {
    expect(run('ls /')).toBe(
      'bin          files        lib64        root         scenario.sh  usr\n' +
        'dev          init         patterns     run          sys\n' +
        'etc          lib          proc         sbin         tmp\n',
    );
    expect(run('ls / | head -2')).toBe('bin\ndev\n');
  });

  it('prints one name a line on debian13, whose oracle pipes a script through cat', () => {
    expect(run('ls /patterns', 'debian13')).toBe('A\nB\nC\nD\nE\nF\nG\nH\n');
  });

  it('prints -l with numeric owners and device numbers, and -s/-h sizes', () => {
    const out = run('ls -l /dev/ram0 /dev/null; ls -s /patterns; ls -lh /patterns | head -2');
    expect(out).toBe(
      'crw-rw-rw-    1 0        0           1,   3 Jan  1 00:00 /dev/null\n' +
        'brw-------    1 0        0           1,   0 Jan  1 00:00 /dev/ram0\n' +
        'total 32768\n  4096 A  4096 B  4096 C  4096 D  4096 E  4096 F  4096 G  4096 H\n' +
        'total 32M    \n-rw-r--r--    1 0        0           4.0M Jan  1 00:00 A\n',
    );
  });

  it('reports a missing path and goes on; refuses what the lab does not keep, by name', () => {
    expect(run('ls /nonexist /dev/ram0; echo rc=$?')).toBe(
      'ls: /nonexist: No such file or directory\n/dev/ram0\nrc=1\n',
    );
    expect(run('ls -i /; echo rc=$?')).toBe('thinlab: not modelled: ls -i\nrc=2\n');
    expect(run('ls /proc; echo rc=$?')).toMatch(/^thinlab: not modelled: ls of \/proc .*\nrc=2\n$/);
    expect(run('ls -Z / 2>&1 | head -1')).toBe("ls: invalid option -- 'Z'\n");
  });
});

describe('stat', () => {
  it('prints -c sequences of device nodes, files and directories', () => {
    expect(run("echo hi > /tmp/f; stat -c '%n %F %a %A %u %g %h %s %b %t %T %d %D %f' /dev/ram0 /tmp/f /tmp")).toBe(
      '/dev/ram0 block special file 600 brw------- 0 0 1 0 0 1 0 5 5 6180\n' +
        '/tmp/f regular file 644 -rw-r--r-- 0 0 1 3 8 0 0 21 15 81a4\n' +
        '/tmp directory 1777 drwxrwxrwt 0 0 2 60 0 0 0 21 15 43ff\n',
    );
  });

  it('fails on a missing file with busybox text, and refuses inode numbers', () => {
    expect(run('stat -c %s /nonexist /dev/null; echo rc=$?')).toBe(
      "stat: can't stat '/nonexist': No such file or directory\n0\nrc=1\n",
    );
    expect(run('stat /tmp; echo rc=$?')).toMatch(/^thinlab: not modelled: stat without -c .*\nrc=2\n$/);
    expect(run('stat -c %i /tmp; echo rc=$?')).toBe('thinlab: not modelled: stat %i (inode numbers)\nrc=2\n');
  });
});

describe('date', () => {
  it('reads the simulated clock: boot (now less /proc/uptime) is 2024-01-01 00:00:00 UTC, and sleep moves it', () => {
    const script = [
      'up=$(cut -d. -f1 /proc/uptime); now=$(date +%s); date -u -d @$((now - up))',
      'sleep 61; echo $(( $(date +%s) - now ))',
      'date | wc -c',
    ].join('\n');
    expect(run(script)).toBe('Mon Jan  1 00:00:00 UTC 2024\n61\n29\n');
  });

  it('formats fixed times with -d and +FORMAT, and rejects bad ones with busybox text', () => {
    expect(run("date -d '2024-02-29 13:14:15' +'%j %a %b %e %I %p %-d|%_m|%05Y'; date -u -d @1234567890")).toBe(
      '060 Thu Feb 29 01 PM 29| 2|02024\nFri Feb 13 23:31:30 UTC 2009\n',
    );
    expect(run('date -d garbage; echo rc=$?')).toBe("date: invalid date 'garbage'\nrc=1\n");
    expect(run('date -s 2020; echo rc=$?')).toBe('thinlab: not modelled: date -s\nrc=2\n');
    expect(run('date +%V; echo rc=$?')).toBe('thinlab: not modelled: date format %V\nrc=2\n');
  });
});

describe('xargs', () => {
  it('groups items with -n, replaces with -I, splits on NUL with -0', () => {
    expect(
      run(
        "echo a b c d e | xargs -n 2 echo; printf 'p\\nq r\\n' | xargs -I{} echo '<{}>'; printf 'x\\0y z\\0' | xargs -0 echo",
      ),
    ).toBe('a b\nc d\ne\n<p>\n<q r>\nx y z\n');
  });

  it("runs the lab's commands and has busybox's statuses", () => {
    expect(run('echo ram0 | xargs -I D blockdev --getsz /dev/D')).toBe('8192\n');
    expect(run('echo a | xargs false; echo rc=$?; echo a | xargs nosuch; echo rc=$?')).toBe(
      'rc=123\nxargs: nosuch: No such file or directory\nrc=127\n',
    );
    expect(run("echo 'a \"b' | xargs; echo rc=$?; xargs -n 0 < /dev/null; echo rc=$?")).toBe(
      'xargs: unmatched double quote\nrc=1\nxargs: number 0 is not in 1..2147483647 range\nrc=1\n',
    );
    expect(run("echo x | xargs sh -c 'echo $0'; echo rc=$?")).toMatch(
      /^thinlab: not modelled: xargs running sh.*\nrc=2\n$/,
    );
  });
});

describe('xargs as its input comes (fixtures/lvm/92)', () => {
  /** A pipeline's statuses, each command's written to /tmp as it ends (ash has no PIPESTATUS). */
  const statuses = (a: string, b: string, c: string): string =>
    `{ ${a}; echo $? > /tmp/s1; } | { ${b}; echo $? > /tmp/s2; } | ${c}; echo "status $? $(cat /tmp/s1) $(cat /tmp/s2)"`;

  it('runs each -n group as it is read: `yes | xargs -n1 echo | head -n 2` ends, xargs and yes die of SIGPIPE', () => {
    // A budget of 20,000 steps: an xargs that read all of an endless input first would exhaust it.
    const bounded = new LabShell({ ramdiskKb: 4096, maxSteps: 20_000 });
    expect(bounded.runScript(statuses('yes', 'xargs -n1 echo', 'head -n 2'))).toBe('y\ny\nstatus 0 141 141\n');
    expect(run('yes | xargs -n 3 echo | head -n 1; echo rc=$?')).toBe('y y y\nrc=0\n');
  });

  it("fills busybox's command line of 30,720 bytes less the command's own, as the VM does", () => {
    expect(run('seq 1 20000 | xargs echo | wc -l; seq 1 20000 | xargs echo | head -n 1 | wc -c')).toBe('4\n30713\n');
    expect(run('seq 1 20000 | xargs echo | tail -n 1 | cut -c 1-12')).toBe('17209 17210 \n');
    // An item that fills the line alone: busybox stops there, without running the command.
    expect(run("head -c 40000 /dev/zero | tr '\\0' a | xargs echo | wc -c")).toBe('xargs: argument line too long\n0\n');
  });

  it('runs the groups read before an unmatched quote; its status is 123 once a command line failed', () => {
    expect(run('printf "a \'b\\nc d\\n" | xargs -n 1 echo; echo rc=$?')).toBe(
      'a\nxargs: unmatched single quote\nrc=1\n',
    );
    expect(run("printf '1\\n2\\n' | xargs -n1 test 2 -eq; echo rc=$?")).toBe('rc=123\n');
    expect(run("printf '2\\n1\\n' | xargs -n1 test 2 -eq; echo rc=$?")).toBe('rc=123\n');
  });
});

/**
 * busybox 1.35's process_stdin, read against its source (findutils/xargs.c) and the host's busybox
 * 1.35.0 (Debian 1:1.35.0-4+deb12u1, the VM's build), which printed every expected text below.
 */
describe("xargs's items as busybox's process_stdin reads them (issue 17)", () => {
  it('keeps the quote state across command lines, as busybox does since bug 11441', () => {
    // Each quoted number is cut by a full command line somewhere; were the state reset there, the
    // closing quote would open a new one and busybox 1.31's `argument line too long` would follow.
    const quoted = `seq 10000 29999 | sed -e 's/^/"/' -e 's/$/"/' | xargs echo`;
    expect(run(`${quoted} | wc -l; ${quoted} | cut -c 1-20`)).toBe(
      '4\n10000 10001 10002 10\n15119 15120 15121 15\n20238 20239 20240 20\n25357 25358 25359 25\n',
    );
    // 29,583 bytes of numbers and a 1,129-byte item fill echo's 30,715 bytes at the "ab" of
    // "ab cd": the line runs there and the item goes on, still quoted, whole in the next line.
    // Were the state reset, ` cd"` would split and open a quote that ends unmatched.
    const cut = (tail: string): string =>
      `{ seq 1 6138 | tr '\\n' ' '; head -c 1129 /dev/zero | tr '\\0' p; echo '${tail}'; } | xargs echo | awk '{ print NF, length($NF), $1 }'`;
    expect(run(cut(' "ab cd" e'))).toBe('6139 1129 1\n3 1 ab\n');
    expect(run(cut(' ab\\ cd e'))).toBe('6139 1129 1\n3 1 ab\n');
    // printf's own words leave 30,707 bytes: with a 1,122-byte item the "a" fills the line.
    const printf = `{ seq 1 6138 | tr '\\n' ' '; head -c 1122 /dev/zero | tr '\\0' p; echo ' "ab cd" e'; } | xargs printf '<%s>\\n' | tail -n 2`;
    expect(run(printf)).toBe('<ab cd>\n<e>\n');
  });

  it('makes no item of an empty quoted word, nor an error of an empty quote at the end', () => {
    expect(
      run(`echo "a '' b" | xargs -n1 echo; printf 'a "" b ""' | xargs -n1 echo; echo "'' \\"\\"" | xargs echo x`),
    ).toBe('a\nb\na\nb\nx\n');
    expect(run(`printf "a '" | xargs echo; echo rc=$?; printf "a ''" | xargs echo; echo rc=$?`)).toBe(
      'a\nrc=0\na\nrc=0\n',
    );
    // A quote with text in it at the end is unmatched, and the line it was in does not run.
    expect(run(`printf "a 'b" | xargs echo; echo rc=$?`)).toBe('xargs: unmatched single quote\nrc=1\n');
  });

  it("splits on busybox's ISSPACE (\\v, \\f and \\r too); -0 keeps empty items; -I drops those blanks in front", () => {
    expect(run("printf 'a\\rb\\vc\\fd e\\\\' | xargs -n1 echo | od -c")).toBe(
      '0000000   a  \\n   b  \\n   c  \\n   d  \\n   e  \\n\n0000012\n',
    );
    expect(run("printf 'x\\0\\0y\\0' | xargs -0 -n1 echo | od -c")).toBe('0000000   x  \\n  \\n   y  \\n\n0000005\n');
    expect(run("printf ' \\v1 2\\n\\f\\r\\n3' | xargs -I% echo '[%]'")).toBe('[1 2]\n[3]\n');
  });
});

describe('awk', () => {
  it('splits fields, sums with -F, keeps arrays and prints numbers as awk does', () => {
    expect(
      run("echo 'a b c' | awk '{print $2, NF, NR}'; printf '1:2\\n3:4\\n' | awk -F: '{s+=$2} END {print s}'"),
    ).toBe('b 3 1\n6\n');
    expect(run('printf \'x 1\\ny 2\\nx 3\\n\' | awk \'{ s[$1] += $2 } END { print s["x"], s["y"] }\'')).toBe('4 2\n');
    expect(run('awk \'BEGIN { print 7/2, 1e6, 0.1+0.2, 1/3; printf "%5.2f|%-4s|%x\\n", 3.14159, "x", 255 }\'')).toBe(
      '3.5 1000000 0.3 0.333333\n 3.14|x   |ff\n',
    );
  });

  it('compares fields as numbers when they look like numbers', () => {
    expect(run('echo \'10 9\' | awk \'{ print ($1 > $2), ("10" > "9") }\'')).toBe('1 0\n');
  });

  it("prints busybox's errors and refuses what the lab does not run, by name", () => {
    expect(run("awk '{'; echo rc=$?")).toBe('awk: cmd. line:1: Unexpected token\nrc=1\n');
    expect(run("awk 'BEGIN { print 1/0 }'; echo rc=$?")).toBe('awk: cmd. line:1: Division by zero\nrc=1\n');
    // The VM's busybox has no math library; print has written its first arguments already.
    expect(run("awk 'BEGIN { print 1, 2 ^ 3 }'; echo rc=$?")).toBe(
      '1 awk: cmd. line:1: Math support is not compiled in\nrc=1\n',
    );
    expect(run("awk 'BEGIN { print sqrt(4) }'; echo rc=$?")).toBe(
      'awk: cmd. line:1: Math support is not compiled in\nrc=1\n',
    );
    expect(run("echo x | awk '{ getline; print }'; echo rc=$?")).toBe('thinlab: not modelled: awk getline\nrc=2\n');
    expect(run("awk 'function f() { }'; echo rc=$?")).toBe('thinlab: not modelled: awk user-defined functions\nrc=2\n');
    expect(run('awk \'BEGIN { print 1 > "/tmp/x" }\'; echo rc=$?')).toBe(
      'thinlab: not modelled: awk print with a redirection or a pipe\nrc=2\n',
    );
  });
});
