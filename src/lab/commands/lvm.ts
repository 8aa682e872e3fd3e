/**
 * LVM2 (src/lvm/): the pv, vg and lv commands. Registered by name in src/lab/commands.ts. The lab
 * is an LVM context as it is (its machine, files and LVM state), so the handlers need no adapter.
 */
import { LVM_ALL_HANDLERS } from '../../lvm/lvm-workflows.js';
import { latin1Bytes, latin1Text } from '../../shared/bytes.js';
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { EINVALID_CMD_LINE } from '../../lvm/lvm-commands.js';
import { lvmVersionText } from '../../lvm/lvm-stack.js';
import { CommandFailed, failureStatus, notModelled } from '../command-errors.js';
import type { Lab } from '../lab.js';
import type { CommandHandler } from '../registry.js';

/** The options that answer every question yes: LVM then reads nothing. */
const ANSWERED: ReadonlySet<string> = new Set(['-y', '--yes', '-f', '--force']);

/** The most an answer line is kept: LVM looks at its first word only. */
const ANSWER_KEPT_BYTES = 4096;

/**
 * Standard input's lines as LVM's prompts read them, one a question (its yes_no_prompt reads with
 * getchar): at most `wanted` lines, so that `yes | lvremove vg/t1` ends after its questions and
 * `yes` then dies of SIGPIPE, as on the VM (fixtures/lvm/92). A line is kept to its start.
 */
function* answerLines(io: CommandIo, wanted: number): Steps<Uint8Array> {
  const lines: string[] = [];
  let current = '';
  while (lines.length < wanted) {
    const chunk = yield* io.read!();
    if (chunk === null) break;
    let from = 0;
    while (from < chunk.length && lines.length < wanted) {
      const nl = chunk.indexOf(10, from);
      const end = nl < 0 ? chunk.length : nl;
      if (current.length < ANSWER_KEPT_BYTES)
        current += latin1Text(chunk.subarray(from, Math.min(end, from + ANSWER_KEPT_BYTES)));
      if (nl < 0) break;
      lines.push(current);
      current = '';
      from = nl + 1;
    }
  }
  if (current !== '' && lines.length < wanted) lines.push(current);
  return latin1Bytes(lines.map((l) => `${l}\n`).join(''));
}

/**
 * The most questions lvremove or vgremove can ask here: per name given, one for the group or a
 * pool, and one per active volume, thin volumes included (src/lvm/lvm-commands.ts removeAsked).
 * Reading up to this many lines reads every line they ask for; LVM's own stdio buffer takes more
 * of a pipe than that anyway.
 */
function questionsAtMost(lab: Lab, args: readonly string[]): number {
  if (args.some((a) => ANSWERED.has(a))) return 0;
  const volumes = lab.lvm.vgs.reduce((n, vg) => n + vg.lvs.length, 0);
  return Math.max(1, args.length) * (2 * volumes + 2);
}

/** A prompting LVM command that reads its answers from a stream a line at a time, not whole. */
function readingAnswers(handler: CommandHandler): CommandHandler {
  return function* (lab, args, io): Steps<number> {
    if (io.read === undefined) return yield* asSteps(handler(lab, args, io));
    const stdin = yield* answerLines(io, questionsAtMost(lab, args));
    // The answers as the handler's whole input (io's own stdin is not to be read: it streams).
    const answered: CommandIo = {
      stdin,
      out: (d) => io.out(d),
      err: (t) => io.err(t),
      ...(io.env === undefined ? {} : { env: io.env }),
      ...(io.stdoutIsTerminal === undefined ? {} : { stdoutIsTerminal: io.stdoutIsTerminal }),
    };
    try {
      return yield* asSteps(handler(lab, args, answered));
    } catch (e) {
      // A generator's throw happens after the registry's guard returned: report it here.
      return failureStatus(e, io);
    }
  };
}

function* asSteps(result: number | Steps<number>): Steps<number> {
  return typeof result === 'number' ? result : yield* result;
}

export const LVM_COMMANDS: Readonly<Record<keyof typeof LVM_ALL_HANDLERS, CommandHandler>> = {
  ...LVM_ALL_HANDLERS,
  lvremove: readingAnswers(LVM_ALL_HANDLERS.lvremove),
  vgremove: readingAnswers(LVM_ALL_HANDLERS.vgremove),
};

// What the lab needs of LVM besides its commands, reached through this domain so that it loads
// with it (src/lab/domains.ts): dmeventd's look after each command, and `lvs`'s columns for `thinlab at`.
export { runMonitor } from '../../lvm/monitor.js';
export { lvReport } from '../../lvm/lvm-commands.js';

/**
 * lvm2's own commands that the lab does not model, from `lvm help` (2.03.16): `lvm NAME` refuses
 * them by name where a name lvm2 does not know gets its `No such command`.
 */
const LVM_UNMODELLED = new Set(
  'config devtypes dumpconfig formats fullreport help lastlog lvmchange lvmconfig lvmdevices lvmdiskscan lvmsadc lvmsar lvpoll lvscan pvchange pvck pvdata pvmove pvresize pvscan segtypes systemid tags vgck vgconvert vgexport vgimport vgimportclone vgimportdevices vgmerge vgmknodes vgscan vgsplit'.split(
    ' ',
  ),
);

/** ENO_SUCH_CMD: lvm's status for a command it does not have. */
const ENO_SUCH_CMD = 2;

/** The command an `lvm` line names, or null when lvm2 has none by that name. */
function lvmSubcommand(name: string): CommandHandler | null {
  const handler = (LVM_COMMANDS as Readonly<Record<string, CommandHandler>>)[name];
  if (handler !== undefined) return handler;
  if (LVM_UNMODELLED.has(name)) throw notModelled(`lvm ${name}`);
  return null;
}

/**
 * `lvm`: the multi-call binary. `lvm CMD ARGS` is `CMD ARGS`, `lvm version` prints the versions,
 * and `lvm` alone is LVM's shell, reading commands from standard input (fixtures/lvm/101).
 */
export function* lvmCommand(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  try {
    const [name, ...rest] = args;
    if (name === undefined) return yield* lvmShell(lab, io);
    if (name === 'version') {
      io.out(lvmVersionText(lab));
      return 0;
    }
    if (name === '--version') {
      io.err('  Specify options after a command: lvm [command] [options].\n');
      return EINVALID_CMD_LINE;
    }
    if (name.startsWith('-')) throw notModelled(`lvm ${name}`);
    const handler = lvmSubcommand(name);
    if (handler === null) {
      io.err("  No such command.  Try 'lvm help'.\n");
      return ENO_SUCH_CMD;
    }
    return yield* asSteps(handler(lab, rest, io));
  } catch (e) {
    return failureStatus(e, io);
  }
}

/** The whole of standard input, read as a stream where it is one. */
function* wholeInput(io: CommandIo): Steps<string> {
  if (io.read === undefined) return latin1Text(io.stdin);
  let text = '';
  for (let chunk = yield* io.read(); chunk !== null; chunk = yield* io.read()) text += latin1Text(chunk);
  return text;
}

/**
 * LVM's shell (lvm_shell, built with editline): the VM has no terminal database, so editline says
 * so first; then each line is a command, its failures printed and the shell going on; `exit` or
 * `quit` ends it with `Exiting.`, the end of the input with an empty line. It exits 0 whatever its
 * commands did. A command's questions would read the shell's next lines: not modelled.
 */
function* lvmShell(lab: Lab, io: CommandIo): Steps<number> {
  const input = yield* wholeInput(io);
  io.err('Cannot read termcap database;\nusing dumb terminal settings.\n');
  // With -y or -f nothing is asked; otherwise reading an answer is refused.
  const commandIo = (args: readonly string[]): CommandIo => ({
    get stdin(): Uint8Array {
      if (args.some((a) => ANSWERED.has(a))) return new Uint8Array(0);
      throw notModelled("an LVM question inside lvm's shell (it would read the shell's next line)");
    },
    out: (d) => io.out(d),
    err: (t) => io.err(t),
  });
  for (const line of input.split('\n').slice(0, input.endsWith('\n') ? -1 : undefined)) {
    if (/["'\\]/.test(line)) throw notModelled("quotes and backslashes in lvm's shell");
    const [name, ...args] = line
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (name === undefined) continue;
    if (name === 'exit' || name === 'quit') {
      io.out('  Exiting.\n');
      return 0;
    }
    if (name === 'version') {
      io.out(lvmVersionText(lab));
      continue;
    }
    const handler = lvmSubcommand(name);
    if (handler === null) {
      io.err(`  No such command '${name}'.  Try 'help'.\n`);
      continue;
    }
    try {
      yield* asSteps(handler(lab, args, commandIo(args)));
    } catch (e) {
      if (e instanceof CommandFailed && e.text.startsWith('thinlab: not modelled')) throw e;
      failureStatus(e, io);
    }
  }
  io.out('\n');
  return 0;
}
