/**
 * The timeline `thinlab run` prints, and its JSON form. The text is meant to be read top to
 * bottom like a lab notebook: each step with its position in the history, the command, what it
 * printed (indented) and each check; the first failure is marked so it stands out in a long run.
 */
import { uiLink, uiPath } from '../shared/ui-link.js';
import type { CheckResult } from './expect.js';
import type { ScenarioResult, StepRecord } from './run.js';
import type { Scenario } from './types.js';

export interface Recorded {
  readonly branch: string;
  /** How to name the database in a command the user can paste (`--db PATH`), or ''. */
  readonly where: string;
}

const OUTPUT_INDENT = '      | ';
/**
 * The CLI writes text as latin1 because shell output is bytes held in a string; the marks are
 * therefore given as the latin1 spelling of their UTF-8 bytes, so a terminal shows ✓ and ✗.
 */
const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const PASS = utf8('✓');
const FAILED = utf8('✗');
const CHECK_INDENT = '      ';

export function formatTimeline(scenario: Scenario, result: ScenarioResult, recorded: Recorded | null): string {
  let out = `== ${scenario.title}\n   ${scenario.file}\n`;
  if (scenario.report !== undefined) out += `   report: ${scenario.report}\n`;
  if (scenario.cites !== undefined) out += `   cites:  ${scenario.cites}\n`;
  for (const step of result.steps) out += formatStep(step, step === result.firstFailure);
  out += `${summaryLine(result, recorded)}\n`;
  return out;
}

function formatStep(step: StepRecord, first: boolean): string {
  const where =
    step.to > step.from ? `@${step.from + 1 === step.to ? step.to : `${step.from + 1}-${step.to}`}` : `@${step.to}`;
  const head = `[${String(step.index).padStart(2)}] ${where.padEnd(8)} `;
  let out: string;
  switch (step.kind) {
    case 'mark':
      out = `${head}mark ${step.mark ?? ''} (position ${step.to})\n`;
      break;
    case 'expect':
      out = `${head}expect\n`;
      break;
    default: {
      const lines = step.command.replace(/\n+$/, '').split('\n');
      out = `${head}$ ${lines[0]}\n${lines
        .slice(1)
        .map((l) => `${' '.repeat(head.length)}  ${l}\n`)
        .join('')}`;
    }
  }
  if (step.output !== '') out += indentBlock(step.output, OUTPUT_INDENT);
  if (step.kind !== 'mark' && step.kind !== 'expect' && step.status !== null && step.status !== 0)
    out += `${CHECK_INDENT}(exit status ${step.status})\n`;
  for (const check of step.checks) out += formatCheck(check);
  if (step.error !== undefined) out += `${CHECK_INDENT}${FAILED} the lab stopped: ${step.error}\n`;
  if (first) out += `${CHECK_INDENT}^^^ FIRST FAILURE (step ${step.index}, line ${step.line}, position ${step.to})\n`;
  return out;
}

function formatCheck(c: CheckResult): string {
  if (c.ok)
    return `${CHECK_INDENT}${PASS} ${c.name}${c.name.startsWith('output') || c.name.startsWith('transcript') ? '' : ` = ${c.expected}`}\n`;
  const multi = c.expected.includes('\n') || c.actual.includes('\n');
  if (!multi) return `${CHECK_INDENT}${FAILED} ${c.name}: expected ${c.expected}, got ${c.actual}\n`;
  return `${CHECK_INDENT}${FAILED} ${c.name}:\n${CHECK_INDENT}  expected:\n${indentBlock(c.expected, `${CHECK_INDENT}  | `)}${CHECK_INDENT}  actual:\n${indentBlock(c.actual, `${CHECK_INDENT}  | `)}`;
}

function indentBlock(text: string, prefix: string): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return `${body
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n')}\n${text.endsWith('\n') || text === '' ? '' : `${prefix}(no newline at the end)\n`}`;
}

function summaryLine(result: ScenarioResult, recorded: Recorded | null): string {
  const checks = result.steps.reduce((n, s) => n + s.checks.length, 0);
  const stored = recorded === null ? 'not recorded' : `recorded as branch ${recorded.branch}, ${result.length} events`;
  if (result.passed) return `PASS  ${result.steps.length} steps, ${checks} checks; ${stored}`;
  const f = result.firstFailure!;
  let line = `FAIL  at step ${f.index} (${f.kind}, line ${f.line}); ${stored}`;
  if (recorded !== null)
    line += `\n      open the state there: thinlab at ${f.to} --branch ${recorded.branch}${recorded.where}\n      ${uiLink(recorded.branch, f.to, recorded.where)}`;
  return line;
}

/** The machine-readable form: one object per scenario. */
export function resultJson(scenario: Scenario, result: ScenarioResult, recorded: Recorded | null): unknown {
  return {
    file: scenario.file,
    title: scenario.title,
    passed: result.passed,
    branch: recorded?.branch ?? null,
    events: result.length,
    marks: result.marks,
    firstFailure:
      result.firstFailure === null
        ? null
        : {
            step: result.firstFailure.index,
            line: result.firstFailure.line,
            position: result.firstFailure.to,
            command: result.firstFailure.command,
            failed: result.firstFailure.checks.filter((c) => !c.ok),
            error: result.firstFailure.error ?? null,
            open:
              recorded === null
                ? null
                : `thinlab at ${result.firstFailure.to} --branch ${recorded.branch}${recorded.where}`,
            ui:
              recorded === null
                ? null
                : {
                    command: `thinlab ui --branch ${recorded.branch} --at ${result.firstFailure.to}${recorded.where}`,
                    path: uiPath(recorded.branch, result.firstFailure.to),
                  },
          },
    steps: result.steps.map((s) => ({
      step: s.index,
      kind: s.kind,
      line: s.line,
      command: s.command,
      from: s.from,
      to: s.to,
      output: s.output,
      status: s.status,
      checks: s.checks,
      ...(s.mark === undefined ? {} : { mark: s.mark }),
      ...(s.error === undefined ? {} : { error: s.error }),
    })),
  };
}
