/**
 * The lab shell's language, construct by construct. Expected outputs are what busybox 1.35 ash
 * (the oracle VM's shell) prints for the same script, checked with `busybox sh` and the oracle.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';

const run = (script: string): string => new LabShell({ ramdiskKb: 4096 }).runScript(script);

describe('compound commands', () => {
  it('runs if/elif/else, and ! negates', () => {
    expect(
      run('if false; then echo no; elif true; then echo elif; else echo else; fi\nif ! false; then echo negated; fi'),
    ).toBe('elif\nnegated\n');
  });

  it('runs while and until with [ ] and $((...))', () => {
    expect(
      run(
        'i=0\nwhile [ $i -lt 3 ]; do\n  i=$((i+1))\n  echo "i=$i"\ndone\nuntil [ $i -eq 0 ]; do i=$((i-1)); done; echo "until i=$i"',
      ),
    ).toBe('i=1\ni=2\ni=3\nuntil i=0\n');
  });

  it('runs for over words, and break N / continue', () => {
    expect(run('for a in 1 2 3; do for b in x y; do [ $b = y ] && break 2; echo "$a$b"; done; done')).toBe('1x\n');
    expect(run('for i in 1 2 3; do [ $i -eq 2 ] && continue; echo $i; done')).toBe('1\n3\n');
  });

  it('ignores break and continue outside a loop, as ash does', () => {
    expect(run('break; echo after-break\ncontinue; echo after-continue')).toBe('after-break\nafter-continue\n');
  });

  it('runs case with *, ?, alternatives and quoted patterns', () => {
    const script = [
      'case hello in h*) echo star;; *) echo other;; esac',
      'case x in a|x) echo alt;; esac',
      'case "" in "") echo empty;; esac',
      'case ab in a?) echo q;; esac',
      'case "a*" in "a*") echo lit;; esac',
      'case abc in "a*") echo no;; a*) echo glob;; esac',
    ].join('\n');
    expect(run(script)).toBe('star\nalt\nempty\nq\nlit\nglob\n');
  });

  it('runs { } groups and ( ) subshells, with redirections on them', () => {
    expect(
      run(
        '{ echo grouped; echo two; } > /run/g; cat /run/g\n( echo sub; echo sub2 ) | wc -l\nx=1; ( x=2 ); echo "x=$x"',
      ),
    ).toBe('grouped\ntwo\n2\nx=1\n');
  });

  it('defines functions with $1.., $#, $@, $*, "$@", return and local', () => {
    const script = [
      'f() {',
      '  echo "f: $# [$1] [$2] [$*] [$@]"',
      '  return 4',
      '}',
      'f a "b c"; echo "rc=$?"',
      'g() { for a in "$@"; do echo "<$a>"; done; for a in $*; do echo "{$a}"; done; }',
      'g "1 2" 3',
      'v=outer; h() { local v=inner; echo "in h: $v"; }; h; echo "after h: $v"',
      'function k { echo "k $1"; }; k one',
    ].join('\n');
    expect(run(script)).toBe(
      'f: 2 [a] [b c] [a b c] [a b c]\nrc=4\n<1 2>\n<3>\n{1}\n{2}\n{3}\nin h: inner\nafter h: outer\nk one\n',
    );
  });

  it('keeps the positional parameters of the caller around a function call, and shifts', () => {
    expect(run('set -- p q r; echo "$# $1 $3"; shift; echo "$# $1"\nf() { echo "$1"; }; f x; echo "$1"')).toBe(
      '3 p r\n2 q\nx\nq\n',
    );
  });

  it('ends the script at exit N', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    expect(shell.runScript('echo a\nexit 3\necho not reached')).toBe('a\n');
    expect(shell.exitStatus).toBe(3);
  });

  it('joins lines ending in a backslash and skips comments', () => {
    expect(run('echo a \\\n  b # a comment\n# a whole comment line\necho c#not-a-comment')).toBe(
      'a b\nc#not-a-comment\n',
    );
  });

  it('reads here-documents, expanded unless the delimiter is quoted', () => {
    expect(run('x=7\ncat <<EOT\nhere $x\nEOT\ncat <<"EOT"\nliteral $x\nEOT\ncat <<-EOT\n\tstripped\n\tEOT')).toBe(
      'here 7\nliteral $x\nstripped\n',
    );
  });

  it('runs trap EXIT when the script ends', () => {
    expect(run("trap 'echo bye $?' EXIT\necho hi\nexit 2")).toBe('hi\nbye 2\n');
  });
});

describe('expansions', () => {
  it('expands variables with defaults, alternatives, lengths and pattern removal', () => {
    expect(
      run(
        'x="  a   b  "\necho ${Q:-def} ${Q-def2} "${Q:+alt}" ${#x}\nQ=val; echo ${Q:-def} ${Q:+alt} ${Q#v} ${Q%l} ${#Q} ${Q:=zz}',
      ),
    ).toBe('def def2  9\nval alt al va 3 val\n');
    expect(run('p=/dev/mapper/thin0; echo ${p##*/} ${p%/*} ${p/thin/snap} ${p:5:6}')).toBe(
      'thin0 /dev/mapper /dev/mapper/snap0 mapper\n',
    );
  });

  it('splits unquoted expansions on white space, never quoted ones', () => {
    expect(run('x="  a   b  "; for w in $x; do echo "[$w]"; done; for w in "$x"; do echo "[$w]"; done')).toBe(
      '[a]\n[b]\n[  a   b  ]\n',
    );
    expect(run('set -- ; for a in "$@"; do echo "never"; done; echo "[$*]"')).toBe('[]\n');
  });

  it('substitutes commands with $(...) and backquotes, trailing newlines removed', () => {
    expect(run('echo "`echo back tick`" "$(echo nested $(echo deep))"\nv=$(printf \'a\\n\\n\\n\'); echo "[$v]"')).toBe(
      'back tick nested deep\n[a]\n',
    );
  });

  it('takes $? from a command substitution in an assignment', () => {
    expect(run('z=$(false); echo "assign rc=$?"\nz=$(true); echo "rc=$?"')).toBe('assign rc=1\nrc=0\n');
  });

  it('does arithmetic like ash: C operators, octal and hex, assignments', () => {
    expect(
      run('echo $(( 7 % 3 )) $(( -7 / 2 )) $(( 2 * (3 + 4) )) $(( 1 < 2 )) $(( x = 5 )) $x $(( x += 2 )) $x'),
    ).toBe('1 -3 14 1 5 5 7 7\n');
    expect(
      run('echo $(( 0x10 + 010 )) $(( 3 == 3 && 2 > 1 )) $(( !0 )) $(( ~0 )) $(( 1 ? 5 : 6 )) $(( y )) $(( 1 << 40 ))'),
    ).toBe('24 1 1 -1 5 0 1099511627776\n');
  });

  it('has fixed $$ and $0, and $LINENO', () => {
    expect(run('echo $$ $0\necho $LINENO')).toBe('100 /scenario.sh\n2\n');
  });
});

describe('builtins', () => {
  it('tests numbers, strings and lab files with [ ] and test', () => {
    const script = [
      '[ 1 -lt 2 -a 3 -gt 2 ]; echo $?',
      '[ ! 1 -eq 2 ]; echo $?',
      '[ -z "" ] && [ -n x ]; echo $?',
      '[ " 3" -eq 3 ]; echo $?',
      'test abc = abd; echo $?',
      '[ -f /patterns/A ]; echo f=$?',
      '[ -b /dev/ram0 ]; echo b=$?',
      '[ -f /dev/ram0 ]; echo fram=$?',
      '[ -e /nope ]; echo nope=$?',
      '[ -d /run ]; echo d=$?',
    ].join('\n');
    expect(run(script)).toBe('0\n0\n0\n0\n1\nf=0\nb=0\nfram=1\nnope=1\nd=0\n');
  });

  it('reports test errors with busybox texts and status 2', () => {
    expect(run('[ a -eq 1 ]; echo "rc=$?"\n[ 1 -eq ]; echo "rc=$?"\n[ 1 = 1; echo "rc=$?"')).toBe(
      'sh: a: bad number\nrc=2\nsh: -eq: argument expected\nrc=2\nsh: missing ]\nrc=2\n',
    );
  });

  it('formats with printf', () => {
    expect(
      run(
        "printf '%s-%d-%x-%%\\n' abc 42 255\nprintf '%5s|%-5s|%05d|%X\\n' ab cd 42 255\nprintf '%s\\n' a b c\nprintf '%s %s\\n' a",
      ),
    ).toBe('abc-42-ff-%\n   ab|cd   |00042|FF\na\nb\nc\na \n');
    expect(run('printf \'x=%d\\n\' abc; echo "rc=$?"')).toBe("x=sh: invalid number 'abc'\n0\nrc=1\n");
  });

  it('echoes with -n and -e', () => {
    expect(run("echo -n x; echo y\necho -e 'a\\tb'\necho 'a\\nb'")).toBe('xy\na\tb\na\\nb\n');
  });

  it('reads lines with read, the last name taking the rest', () => {
    expect(
      run(
        'echo "one two three" > /run/r; read a b < /run/r; echo "a=$a b=$b"\nprintf \'x\\ny\\n\' > /run/l\nwhile read l; do echo "line $l"; done < /run/l',
      ),
    ).toBe('a=one b=two three\nline x\nline y\n');
  });

  it('reads /proc/uptime and the discard limits in /sys/block', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    const out = shell.runScript(
      [
        'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
        'dmsetup message pool 0 "create_thin 0"',
        'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
        'cat /sys/block/dm-1/queue/discard_granularity /sys/block/dm-1/queue/discard_max_bytes /sys/block/dm-0/queue/discard_max_bytes',
        'sleep 2.5; cat /proc/uptime; t=$(cut -d" " -f1 /proc/uptime); echo "t=$t"',
      ].join('\n'),
    );
    expect(out).toBe('65536\n17179869184\n0\n7.50 7.50\nt=7.50\n');
  });
});

describe('errors', () => {
  it('says "not found" for unknown commands and goes on', () => {
    expect(run('frob; echo "rc=$?"\nf() {\n  frob3\n}\nf')).toBe(
      '/scenario.sh: line 1: frob: not found\nrc=127\n/scenario.sh: line 3: frob3: not found\n',
    );
  });

  it('names busybox commands the lab does not run', () => {
    expect(run('chmod 600 /tmp/a; echo "rc=$?"')).toMatch(/^thinlab: not modelled: chmod .*\nrc=127\n$/);
  });

  it('ends the shell on a failed expansion: the script, or just the subshell', () => {
    expect(run('( echo $((1/0)); echo after ); echo "rc=$?"\n( echo ${U:?unset here} ); echo "rc=$?"')).toBe(
      '/scenario.sh: line 1: divide by zero\nrc=2\n/scenario.sh: line 2: U: unset here\nrc=2\n',
    );
    expect(run('echo before\necho $((1+))\necho not reached')).toBe(
      'before\n/scenario.sh: line 2: arithmetic syntax error\n',
    );
  });

  it('ends the script at a syntax error, after running what came before', () => {
    expect(run('echo before\nif true; then echo x\nfi fi\necho after')).toBe(
      'before\n/scenario.sh: line 3: syntax error: unexpected "fi"\n',
    );
    expect(run('echo a\nwhile true; do\n  echo b')).toBe(
      'a\n/scenario.sh: line 3: syntax error: unexpected end of file (expecting "done")\n',
    );
  });

  it('loses only the line with a syntax error when lines come one by one', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    expect(shell.runLine('echo "unterminated')).toBe(
      '/scenario.sh: line 1: syntax error: unterminated quoted string\n',
    );
    expect(shell.runLine('echo next')).toBe('next\n');
  });

  it('reports local outside a function and redirection failures like ash', () => {
    expect(
      run('( local x=1; echo after ); echo "rc=$?"\necho x > /nonexistent/f; echo "rc=$?"\ncat < /nope; echo "rc=$?"'),
    ).toBe(
      '/scenario.sh: local: line 1: not in a function\nrc=2\n' +
        "/scenario.sh: line 2: can't create /nonexistent/f: nonexistent directory\nrc=1\n" +
        "/scenario.sh: line 3: can't open /nope: no such file\nrc=1\n",
    );
  });

  it('runs sh -c with errors named sh and no line numbers', () => {
    expect(run('sh -c \'echo in; frob\'; echo "rc=$?"\nsh -c \'echo hi; fi\'; echo "rc=$?"')).toBe(
      'in\nsh: frob: not found\nrc=127\nsh: syntax error: unexpected "fi"\nrc=2\n',
    );
  });
});

describe('splitCommands and runLine', () => {
  it('cuts a script into top-level commands and comment lines, keeping line numbers', () => {
    const script = '\n# c1\necho a\n\n  # c2\nif true; then\n echo b\nfi # x\n\nfrob';
    const shell = new LabShell({ ramdiskKb: 4096 });
    const pieces = shell.splitCommands(script);
    expect(pieces).toEqual(['\n# c1', 'echo a\n', '  # c2', 'if true; then\n echo b\nfi # x\n', 'frob']);
    expect(pieces.map((p) => shell.runLine(p)).join('')).toBe('a\nb\n/scenario.sh: line 10: frob: not found\n');
  });
});

describe('files on /run', () => {
  // A whole-file read fills a cache; a later append once kept serving the old contents.
  it('keeps what >> appended after the file was read whole', () => {
    expect(run('echo a > /run/x; cat /run/x; echo b >> /run/x; cat /run/x; echo c > /run/x; cat /run/x')).toBe(
      'a\na\nb\nc\n',
    );
  });

  it('keeps a dd write into the middle of a file that was read whole', () => {
    expect(
      run(
        'printf abcdef > /run/y; cat /run/y; echo; printf XY | dd of=/run/y bs=1 seek=2 conv=notrunc 2>/dev/null; cat /run/y; echo',
      ),
    ).toBe('abcdef\nabXYef\n');
  });
});
