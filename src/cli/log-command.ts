/**
 * `thinlab log`: the events of a branch. Kept apart from the other history commands so that
 * listing a history loads the store and the event schema only, never the lab (a command's
 * start-up is mostly the modules it loads; docs/performance.md).
 */
import { describeEvent } from '../events/describe-event.js';
import type { LabEvent } from '../events/lab-events.js';
import { describeStack } from '../model/stack.js';
import { damageError, type History, HistoryError } from '../replay/history.js';
import type { StoreError } from '../store/errors.js';
import { type Output, printJson } from './output.js';

/** The branch a command works on: the one named, else the head. */
export async function currentBranch(h: History, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    await h.branch(explicit);
    return explicit;
  }
  const head = await h.head();
  if (head === null)
    throw new HistoryError('UNKNOWN_BRANCH', 'the database has no lab yet: run `thinlab sh FILE` or `npm start` first');
  return head;
}

export async function logCommand(
  h: History,
  args: { branch?: string; full: boolean; json?: boolean },
  io: Output,
): Promise<void> {
  const branch = await currentBranch(h, args.branch);
  const info = await h.branch(branch);
  const length = await h.length(branch);
  // Damage inside an event's text can still read as a valid event: check first, flag each one,
  // and fail at the end (or where an event cannot be read at all) naming them.
  const damaged = new Set(await h.damageIn(branch, 0, length));
  const damage = (): StoreError => damageError(branch, [...damaged]);
  if (args.json === true) {
    const events: unknown[] = [];
    try {
      for await (const { position, event, timeMs } of h.events(branch, 0, length))
        events.push({ position, timeMs, description: describeEvent(event), event, damaged: damaged.has(position) });
    } catch (e) {
      throw damaged.size > 0 ? damage() : e;
    }
    printJson(io, { branch, parent: info.parent, forkPosition: info.forkPosition, stack: info.stack, length, events });
    if (damaged.size > 0) throw damage();
    return;
  }
  // Lines are written in pieces of about 64 KiB: a write per event was a tenth of a long log's time.
  let pending = `branch ${branch}${info.parent ? ` (from ${info.parent}@${info.forkPosition})` : ''}, ${length} events, stack ${describeStack(info.stack)}\n`;
  const out = (text: string): void => {
    pending += text;
    if (pending.length >= 1 << 16) {
      io.out(pending);
      pending = '';
    }
  };
  try {
    for await (const { position, event, timeMs } of h.events(branch, 0, length)) {
      const flag = damaged.has(position) ? '  [DAMAGED: fails its checksum]' : '';
      out(
        `${String(position).padStart(6)}  ${(timeMs / 1000).toFixed(3).padStart(10)}s  ${describeEvent(event)}${flag}\n`,
      );
      if (args.full) out(fullText(event));
    }
  } catch (e) {
    io.out(pending);
    throw damaged.size > 0 ? damage() : e;
  }
  io.out(pending);
  if (damaged.size > 0) throw damage();
}

/** `log --full`: the operations beneath a command, then what it printed. */
function fullText(event: LabEvent): string {
  if (event.type !== 'ShellCommandRan') return '';
  const ops = (event.data.operations ?? []).map((op) => `        > ${op}\n`).join('');
  return ops + indentedOutput(event.data.output);
}

/**
 * What a command printed, as `log --full` shows it under the command: each line behind `| `,
 * every line ended (a last line without a newline gets one), nothing for no output. Splitting on
 * newlines rather than anchoring a pattern at each line start keeps the empty piece after the
 * final newline from becoming a stray indented line that runs into the next event.
 */
export function indentedOutput(output: string): string {
  if (output === '') return '';
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line === '' ? '        |\n' : `        | ${line}\n`)).join('');
}
