/**
 * `thinlab log`: the events of a branch. Kept apart from the other history commands so that
 * listing a history loads the store and the event schema only, never the lab (a command's
 * start-up is mostly the modules it loads; docs/performance.md).
 */
import { describeEvent } from '../events/describe-event.js';
import type { LabEvent } from '../events/lab-events.js';
import { describeStack } from '../model/stack.js';
import { damageError, type History, HistoryError, type PositionedEvent } from '../replay/history.js';
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
  if (args.json === true) {
    const events: unknown[] = [];
    const damaged = await listEvents(h, branch, length, ({ position, event, timeMs }, isDamaged) => {
      events.push({ position, timeMs, description: describeEvent(event), event, damaged: isDamaged });
    });
    printJson(io, { branch, parent: info.parent, forkPosition: info.forkPosition, stack: info.stack, length, events });
    if (damaged.length > 0) throw damageError(branch, damaged);
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
  let damaged: number[];
  try {
    damaged = await listEvents(h, branch, length, ({ position, event, timeMs }, isDamaged) => {
      const flag = isDamaged ? '  [DAMAGED: fails its checksum]' : '';
      out(
        `${String(position).padStart(6)}  ${(timeMs / 1000).toFixed(3).padStart(10)}s  ${describeEvent(event)}${flag}\n`,
      );
      if (args.full) out(fullText(event));
    });
  } finally {
    io.out(pending);
  }
  if (damaged.length > 0) throw damageError(branch, damaged);
}

/**
 * Hands every event of a branch to `visit` in order, each with whether its stored text fails its
 * checksum, and returns the damaged positions; an event that cannot be read at all stops the
 * listing (with every damaged position named when there is damage, else with its own error).
 *
 * One read does both: the events are read with their checksums checked page by page, so an
 * undamaged log (nearly every log) is read once. Damage makes that read stop before the page that
 * holds it, with every earlier page checked clean; from there the rest of the branch is searched
 * for damage first and then listed with each damaged event flagged, as a log must show what is
 * there rather than stop at the first bad event.
 */
async function listEvents(
  h: History,
  branch: string,
  length: number,
  visit: (e: PositionedEvent, damaged: boolean) => void,
): Promise<number[]> {
  let listed = 0;
  try {
    for await (const page of h.eventPages(branch, 0, length, true)) {
      for (const e of page) visit(e, false);
      listed = page.at(-1)?.position ?? listed;
    }
    return [];
  } catch (e) {
    const damaged = await h.damageIn(branch, listed, length);
    if (damaged.length === 0) throw e;
    const flagged = new Set(damaged);
    try {
      for await (const e of h.events(branch, listed, length)) visit(e, flagged.has(e.position));
    } catch {
      throw damageError(branch, damaged);
    }
    return damaged;
  }
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
