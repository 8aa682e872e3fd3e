/**
 * The differential shell campaign: generated device-free scripts (variables, arithmetic,
 * printf/echo, test, case, loops, functions, subshells, here-documents, and the text tools on
 * pipes) run through the lab shell (`runScript`, as `thinlab sh FILE` runs a file) and through the
 * host's busybox 1.35.0 ash (`busybox sh FILE`, the VM's build), comparing what each printed
 * (stdout and stderr together, the script's name as the VM's `/scenario.sh`) and the exit status.
 *
 * The sandbox: a scratch directory as the working directory holding the script, a PATH of
 * nothing but busybox's applets (links to the static busybox), `ulimit -t -v -f` and a wall
 * timeout. The scripts write no files (no `>` to a path), so nothing outside the scratch
 * directory is touched. A case whose texts differ is a finding with its seed, to run alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabShell } from '../src/lab/lab-shell.js';
import { CampaignReport } from './report.js';
import { caseSeed, Rng } from './rng.js';

export const BUSYBOX = '/usr/bin/busybox';

/** The applets a generated script may run; each is a link to busybox in the sandbox's PATH. */
const APPLETS = [
  'sh',
  'echo',
  'printf',
  'test',
  '[',
  'tr',
  'cut',
  'sort',
  'uniq',
  'wc',
  'od',
  'seq',
  'head',
  'tail',
  'tee',
  'basename',
  'dirname',
  'diff',
  'readlink',
  'realpath',
  'expr',
  'tac',
  'rev',
  'fold',
  'base64',
];
const TOOLS_ON_PIPES = ['sed', 'awk', 'grep', 'md5sum', 'xargs', 'cat'];

const NUMBERS = [
  '0',
  '1',
  '-1',
  '7',
  '255',
  '010',
  '0x1F',
  '2147483648',
  '9223372036854775807',
  '-9223372036854775808',
];
const WORDS = ['a', 'b c', 'abc', 'a*', '', 'x y z', 'hello world', '-n', '--', '1 2'];

/**
 * Paths for basename and dirname. No nproc: the host's CPUs are not the VM's one (the sandbox's
 * doing), and src/lab/path-applets.test.ts checks nproc's errors against the host instead.
 */
const PATHS = ['/', '//', 'a', 'a/', '/a/b', 'a//b//', '.', '..', '/usr/lib/x.so', 'x.sh/', '', '-a', '--'];

/**
 * Paths for readlink and realpath whose answer does not depend on the host's tree or the sandbox's
 * working directory (the lab's is always `/`).
 */
const LINK_PATHS = ['/', '//', '', 'a', 'a/b', '/nonexistent', '/nonexistent/x', '//nonexistent//', '/dev/null', '-n'];

/** Parameter expansions (shell text, not templates). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: these are the shell's ${...}, not JavaScript's.
const EXPANSIONS = ['${v#?}', '${v%?}', '${#v}', '${v:-d}', '${v:+s}', '${v##*a}', '${v/a/X}', '${v:1:2}'];

function quote(w: string): string {
  return `'${w.replaceAll("'", "'\\''")}'`;
}

/** One generated line of the kinds listed at the top. */
function line(r: Rng): string {
  const n = () => r.pick(NUMBERS);
  const w = () => quote(r.pick(WORDS));
  if (r.int(0, 5) === 0) return exprLine(r);
  switch (r.int(0, 14)) {
    case 0:
      return `x=${n()}; echo $((x ${r.pick(['+', '-', '*', '/', '%', '<<', '>>', '&', '|', '^', '<', '>=', '==', '&&', '||'])} ${n()}))`;
    case 1:
      return `printf '${r.pick(['%d', '%5x', '%o', '%X', '%u', '%i', '%-4d|', '%05d', '%.3d', '%+d', '%#x', '%c', '%s', '%.2s', '%b', '%5s|'])}\\n' ${r.pick([n(), w(), `"'a"`])}`;
    case 2:
      return `[ ${n()} ${r.pick(['-eq', '-ne', '-lt', '-ge', '-gt', '-le'])} ${n()} ]; echo $?`;
    case 3:
      return `[ ${w()} ${r.pick(['=', '!=', '\\<', '\\>'])} ${w()} ]; echo $?`;
    case 4:
      return `case ${w()} in ${r.pick(['a*', '?', '[a-c]*', '*" "*', "''", 'a|b'])}) echo m;; *) echo n;; esac`;
    case 5:
      return `for i in ${r.pick(['1 2 3', 'a b', '"x y"', '', 'a a b B b', '1 1 2 2 2 x', 'x X x'])}; do echo "$i"; done | ${pipeTool(r)}`;
    case 6:
      return `echo ${w()} ${w()} | ${pipeTool(r)}`;
    case 7:
      return `seq ${r.int(1, 3)} ${r.int(1, 40)} | ${pipeTool(r)}`;
    case 8:
      return `v=${w()}; echo "${r.pick(EXPANSIONS)}"`;
    case 9:
      return `f() { echo $# "$1"; return ${r.int(0, 3)}; }; f ${w()} ${w()}; echo $?`;
    case 10:
      return `( ${r.pick(['exit 3', 'echo in', 'false', 'x=1; echo $x'])} ); echo $?`;
    case 11:
      return `${r.pick(['cat', 'tr a-z A-Z', 'wc -l', 'od -c'])} <<EOF\n${r.pick(['one', 'a b', 'x\ty', ''])}\nEOF`;
    case 12:
      return `echo ${r.pick(['-n', '-e', '-ne', ''])} ${quote(r.pick(['a\\tb', 'x\\ny', '\\0101', 'c\\c', 'plain']))}; echo`;
    case 13:
      return pathLine(r);
    default:
      return `set -- ${w()} ${w()}; echo $# "$@"; shift; echo "$*"`;
  }
}

/** basename and dirname on a path, alone, with a suffix or options, or in a substitution. */
function pathLine(r: Rng): string {
  const p = () => quote(r.pick(PATHS));
  const command = r.pick([
    () => `basename ${p()}`,
    () => `basename ${p()} ${quote(r.pick(['.so', 'b', 'x.sh', '/']))}`,
    () => `basename -a ${p()} ${p()}`,
    () => `basename -s .sh ${p()} ${p()}`,
    () => `basename ${p()} ${p()} ${p()}`,
    () => `readlink ${r.pick(['-f', '-fn', '-v', '-fv', ''])} ${quote(r.pick(LINK_PATHS))}`,
    () => `realpath ${quote(r.pick(LINK_PATHS))} ${quote(r.pick(LINK_PATHS))}`,
    () => `dirname ${p()}`,
    () => `dirname ${p()} ${p()}`,
  ])();
  return r.pick([command, `v=$(${command}); echo "[$v] $?"`, `${command}; echo $?`]);
}

/** expr over numbers and words: arithmetic, comparisons, matches, keywords, errors. */
function exprLine(r: Rng): string {
  const a = () => r.pick([r.pick(NUMBERS), quote(r.pick(WORDS)), quote(r.pick(PATHS))]);
  const op = () => r.pick(['+', '-', "'*'", '/', '%', "'<'", "'>='", '=', "'!='", "'&'", "'|'", ':']);
  const command = r.pick([
    () => `expr ${a()} ${op()} ${a()}`,
    () => `expr ${a()} ${op()} ${a()} ${op()} ${a()}`,
    () => `expr ${a()} : ${quote(r.pick(['a*', '\\(.\\)', '.*', '[0-9]*', '\\([a-z]*\\)', 'x', '^a', '\\(']))}`,
    () => `expr ${r.pick(['length', 'quote'])} ${a()}`,
    () => `expr substr ${a()} ${r.pick(NUMBERS)} ${r.pick(NUMBERS)}`,
    () => `expr index ${a()} ${a()}`,
    () => `expr match ${a()} ${quote(r.pick(['a', '.', '\\(b\\)']))}`,
    () => `expr '(' ${a()} ${op()} ${a()} ')' ${op()} ${a()}`,
    () => `expr ${a()}`,
  ])();
  return r.pick([`${command}; echo $?`, `v=$(${command}); echo "[$v] $?"`]);
}

function pipeTool(r: Rng): string {
  return r.pick([
    'tac',
    'rev',
    'fold -w 3',
    'fold -s -w 4',
    'fold -b -w 2',
    'base64',
    'base64 -w 6',
    'base64 | base64 -d',
    'base64 -d',
    'tr a-z A-Z',
    'tr -d 1',
    'tr -s " "',
    'cut -c1-2',
    'cut -d" " -f2',
    'sort',
    'sort -r',
    'sort -n',
    'uniq',
    'uniq -c',
    'uniq -d',
    'uniq -u',
    'uniq -ic',
    'uniq -f 1 -c',
    'uniq -s 1',
    'uniq -w 1 -c',
    'tee /dev/null',
    'tee -a - /dev/null',
    'tee /nonexistent/f',
    'wc -l',
    'wc -c',
    'wc',
    'od -c',
    'od -An -tx1',
    'od -tu2',
    'head -n 2',
    'tail -n 1',
    'head -c 3',
    'diff - /dev/null',
    'diff -q - /dev/null',
    'diff -U 1 /dev/null -',
    'diff -s - -',
    ...TOOLS_ON_PIPES.map((t) =>
      t === 'sed'
        ? 'sed s/1/X/'
        : t === 'awk'
          ? "awk '{ print NF, $1 }'"
          : t === 'grep'
            ? 'grep 1'
            : t === 'xargs'
              ? 'xargs echo'
              : t,
    ),
  ]);
}

/** Case `index` of a seed: a few generated lines. */
export function diffCase(seed: number, index: number): string {
  const r = new Rng(caseSeed(seed, index));
  const lines: string[] = [];
  for (let k = r.int(1, 4); k > 0; k--) lines.push(line(r));
  return `${lines.join('\n')}\n`;
}

/** The sandbox: a scratch directory and a bin directory of busybox links. */
export function makeSandbox(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-shell-diff-'));
  const bin = join(dir, 'bin');
  execFileSync(BUSYBOX, ['mkdir', bin]);
  for (const a of [...APPLETS, ...TOOLS_ON_PIPES]) symlinkSync(BUSYBOX, join(bin, a));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What busybox sh prints for a script in the sandbox (stderr merged, the script named /scenario.sh), and its status. */
export function runBusybox(sandboxDir: string, script: string): { printed: string; status: number } {
  writeFileSync(join(sandboxDir, 'scenario.sh'), script, 'latin1');
  const wrapper = 'ulimit -t 5 -v 400000 -f 2000; exec /usr/bin/busybox sh scenario.sh 2>&1';
  let printed: string;
  let status = 0;
  try {
    printed = execFileSync(BUSYBOX, ['sh', '-c', wrapper], {
      cwd: sandboxDir,
      env: { PATH: join(sandboxDir, 'bin') },
      encoding: 'latin1',
      timeout: 10_000,
    });
  } catch (e) {
    const err = e as { stdout?: string; status?: number | null; signal?: string | null };
    printed = err.stdout ?? '';
    status = err.status ?? 128;
  }
  return { printed: printed.replace(/^scenario\.sh: /gm, '/scenario.sh: '), status };
}

/** What the lab prints for the script, as `thinlab sh FILE` runs it, and its status. */
export function runLab(script: string): { printed: string; status: number } {
  const shell = new LabShell({ ramdiskKb: 1024 });
  const printed = shell.runScript(script);
  return { printed, status: shell.exitStatus ?? Number(shell.lastStatus) };
}

/** The first line where two outputs part, for a finding's kind: the command that differs. */
function firstCommand(script: string): string {
  return script
    .split('\n')[0]!
    .replace(/[0-9]+/g, 'N')
    .slice(0, 60);
}

export function shellDiffCampaign(o: { seed: number; cases: number }): CampaignReport {
  const report = new CampaignReport('shell-diff', o.seed);
  if (!existsSync(BUSYBOX)) {
    report.find('not run (no busybox)', { where: BUSYBOX, what: 'the host has no busybox to compare with' });
    return report;
  }
  const sandbox = makeSandbox();
  try {
    for (let i = 0; i < o.cases; i++) {
      const script = diffCase(o.seed, i);
      const real = runBusybox(sandbox.dir, script);
      const lab = report.time(() => runLab(script));
      report.count('cases');
      if (lab.printed === real.printed && lab.status === real.status) continue;
      const kind = lab.printed === real.printed ? 'exit status differs' : 'output differs';
      report.find(`${kind}: ${firstCommand(script)}`, {
        where: `seed ${o.seed} case ${i}`,
        what: `${JSON.stringify(script)}\n    busybox (${real.status}): ${JSON.stringify(real.printed)}\n    lab (${lab.status}): ${JSON.stringify(lab.printed)}`,
      });
    }
  } finally {
    sandbox.remove();
  }
  return report;
}
