/**
 * LVM2 (src/lvm/): the pv, vg and lv commands. Registered by name in src/lab/commands.ts. The lab
 * is an LVM context as it is (its machine, files and LVM state), so the handlers need no adapter.
 */
import { LVM_ALL_HANDLERS } from '../../lvm/lvm-workflows.js';
import { latin1Bytes, latin1Text } from '../../shared/bytes.js';
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { failureStatus } from '../command-errors.js';
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
