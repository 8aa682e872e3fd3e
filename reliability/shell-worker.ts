/**
 * Runs shell campaign lines in a worker thread, so that the campaign can stop a line that hangs
 * (terminate the worker) or exhausts the heap (the worker's own limit) without dying itself. Each
 * line runs in the lab shell of its group (a fresh shell every GROUP lines, so that state built by
 * earlier lines is exercised too). Before each line the worker says which one it starts; after
 * it, how it ended.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LabShell } from '../src/lab/lab-shell.js';
import { fixtureLines, shellLine } from './shell-lines.js';

export interface WorkerInput {
  readonly seed: number;
  readonly first: number;
  readonly end: number;
  readonly group: number;
  /** Lines that replace the generated ones at these indexes (ShellCampaignOptions.planted). */
  readonly planted: Readonly<Record<number, string>>;
}

export type WorkerMessage =
  | { readonly kind: 'start'; readonly index: number }
  | {
      readonly kind: 'done';
      readonly index: number;
      readonly internal: string | null;
      readonly rssBytes: number;
      /** The line's wall time in the worker, for the report's slowest case. */
      readonly wallMs: number;
    };

/** Output that only a JavaScript failure prints: the lab words every expected failure as the real tool does. */
const INTERNAL_TEXT = /RangeError|TypeError|InvariantViolation|Maximum call stack|ReferenceError|SyntaxError: Invalid/;

/**
 * The step budget the campaign's shells run with. An endless shell loop is not a hang of the lab:
 * it ends at its budget with the lab's message. The default budget (10,000,000 commands) takes
 * minutes at the lab's tens of microseconds a command, far past the campaign's hang timeout, so
 * the campaign gives its shells a budget that ends such a loop in well under a second.
 */
const CAMPAIGN_MAX_STEPS = 100_000;

const input = workerData as WorkerInput;
const corpus = fixtureLines();
const newShell = (): LabShell => new LabShell({ maxSteps: CAMPAIGN_MAX_STEPS });
let shell = newShell();
for (let index = input.first; index < input.end; index++) {
  if ((index - input.first) % input.group === 0) shell = newShell();
  parentPort!.postMessage({ kind: 'start', index } satisfies WorkerMessage);
  let internal: string | null = null;
  const startMs = performance.now();
  try {
    const out = shell.runLine(input.planted[index] ?? shellLine(corpus, input.seed, index));
    const m = INTERNAL_TEXT.exec(out);
    if (m !== null) internal = `printed: ${out.slice(Math.max(0, m.index - 80), m.index + 120)}`;
  } catch (e) {
    internal = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    shell = newShell();
  }
  parentPort!.postMessage({
    kind: 'done',
    index,
    internal,
    rssBytes: process.memoryUsage().rss,
    wallMs: performance.now() - startMs,
  } satisfies WorkerMessage);
}
