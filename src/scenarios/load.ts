/**
 * Reading scenarios: YAML (`*.yaml`, `*.yml`) or a plain script with its transcript (`*.sh` plus
 * `*.expected`). The YAML is validated against docs/scenario.schema.json (schema-check.ts), the
 * one statement of the shape, and checked in code only for what a schema cannot say (a fault's
 * arguments, whole milliseconds); every problem names the file, the line and the field, and all
 * problems are collected before giving up, so a user fixes a file in one go. Reading the files
 * themselves is the CLI's job (src/cli/scenario-files.ts).
 */
import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { checkFaultArgs } from '../faults/fault-command.js';
import type { PoolMode } from '../model/lifecycle.js';
import type { ModelMutation } from '../model/mutations.js';
import type { StackId } from '../model/stack.js';
import { fieldOf, SchemaCheck } from './schema-check.js';
import {
  ScenarioInvalid,
  type Expectation,
  type ReadCheck,
  type ScenarioMachineSettings,
  type Scenario,
  type ScenarioProblem,
  type Step,
} from './types.js';

/**
 * A `.sh` scenario: the whole script is one run step whose output must equal its transcript
 * (`NAME.expected`, null when there is none beside it).
 */
export function parseShellScenario(
  file: string,
  script: string,
  expected: string | null,
  expectedName: string,
): Scenario {
  if (expected === null) {
    throw new ScenarioInvalid([
      {
        file,
        line: 1,
        field: '',
        message: `no transcript ${expectedName} beside the script (run it with \`thinlab sh --no-record\` and keep what it prints, once you have checked it)`,
      },
    ]);
  }
  const firstComment = /^#\s*(.*)$/m.exec(script);
  return {
    file,
    format: 'sh',
    title: firstComment?.[1]?.trim() || expectedName.replace(/\.expected$/, '.sh'),
    machine: {},
    steps: [{ kind: 'run', line: 1, command: script }],
    expectedTranscript: expected,
  };
}

/** Parses and checks the text of a YAML scenario. */
export function parseScenario(file: string, text: string): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const problems: ScenarioProblem[] = [];
  for (const e of doc.errors)
    problems.push({
      file,
      line: lc.linePos(e.pos[0]).line,
      field: '',
      message: `not valid YAML: ${e.message.split('\n')[0]}`,
    });
  if (problems.length > 0) throw new ScenarioInvalid(problems);
  const check = new SchemaCheck(file, doc, lc);
  const root = doc.contents;
  if (!isMap(root)) {
    check.problem(root, '', 'the file must be a mapping with title, steps and the other fields of docs/scenarios.md');
    throw new ScenarioInvalid(check.problems);
  }
  const data = doc.toJS() as ScenarioFile;
  check.check(data);
  const found = check.sorted(codeProblems(file, data, check));
  if (found.length > 0) throw new ScenarioInvalid(found);
  return {
    file,
    format: 'yaml',
    title: data.title,
    ...(data.report === undefined ? {} : { report: data.report }),
    ...(data.cites === undefined ? {} : { cites: data.cites }),
    ...(data.what_happened === undefined ? {} : { whatHappened: data.what_happened }),
    ...(data.symptoms === undefined ? {} : { symptoms: data.symptoms }),
    machine: machineSettings(data.machine ?? {}),
    ...(data.stack === undefined ? {} : { stack: data.stack }),
    steps: data.steps.map((step, i) => toStep(step, check.line(check.node(['steps', i])))),
  };
}

/** `2s`, `1.5s`, `250ms` as milliseconds, or null. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]+(?:\.[0-9]+)?)(s|ms)$/.exec(text.trim());
  if (m === null) return null;
  const ms = m[2] === 's' ? Math.round(Number(m[1]) * 1000) : Number(m[1]);
  return Number.isInteger(ms) ? ms : null;
}

/** A scenario file as YAML gives it, once the schema has accepted it (snake_case, as written). */
interface ScenarioFile {
  readonly title: string;
  readonly report?: string;
  readonly cites?: string;
  readonly what_happened?: string;
  readonly symptoms?: string[];
  readonly stack?: StackId;
  readonly machine?: {
    readonly ramdisk_kb?: number;
    readonly no_space_timeout?: number;
    readonly mutations?: ModelMutation[];
  };
  readonly steps: StepFile[];
}

interface ExpectationFile {
  readonly output?: string;
  readonly output_matches?: string;
  readonly output_contains?: string;
  readonly status?: number;
  readonly pool_mode?: Record<string, PoolMode>;
  readonly needs_check?: Record<string, boolean>;
  readonly used_data_blocks?: Record<string, number>;
  readonly reads?: ReadCheck[];
  readonly invariants?: true;
  readonly holds?: string[];
}

interface StepFile {
  readonly run?: string;
  readonly advance?: string;
  readonly crash?: true;
  readonly fault?: string;
  readonly mark?: string;
  readonly expect?: ExpectationFile;
}

/**
 * What the schema cannot say: a fault's arguments (in a fault step and in every `fault` line of a
 * run text) must be ones the fault directive takes, and a duration must be whole milliseconds.
 */
function codeProblems(file: string, data: ScenarioFile, check: SchemaCheck): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  if (!Array.isArray(data.steps)) return out;
  data.steps.forEach((step, i) => {
    if (step === null || typeof step !== 'object') return;
    const path = ['steps', i];
    if (typeof step.fault === 'string' && step.fault.trim() !== '') {
      const wrong = checkFaultArgs(step.fault.trim().split(/\s+/));
      if (wrong !== null)
        out.push({
          file,
          line: check.line(check.node([...path, 'fault'])),
          field: fieldOf([...path, 'fault']),
          message: wrong,
        });
    }
    if (typeof step.run === 'string')
      out.push(...faultLines(file, check.node([...path, 'run']), check, fieldOf([...path, 'run']), step.run));
    if (
      typeof step.advance === 'string' &&
      /^[0-9]+(\.[0-9]+)?(s|ms)$/.test(step.advance) &&
      parseDuration(step.advance) === null
    ) {
      out.push({
        file,
        line: check.line(check.node([...path, 'advance'])),
        field: fieldOf([...path, 'advance']),
        message: `expected a duration like 5s, 1.5s or 250ms, got '${step.advance}'`,
      });
    }
  });
  return out;
}

/**
 * Checks every `fault` command line of a run text as the fault step checks its own: an unknown
 * kind or bad arguments are found before anything runs, not skipped at run time.
 */
function faultLines(
  file: string,
  value: Node | null,
  check: SchemaCheck,
  field: string,
  text: string,
): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const block = isScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED');
  text.split('\n').forEach((lineText, i) => {
    // Simple commands of the line (quoting is not looked at: fault arguments have none).
    for (const piece of lineText.split(/;|&&|\|\||\|/)) {
      const words = piece.trim().split(/\s+/);
      if (words[0] !== 'fault') continue;
      const wrong = checkFaultArgs(words.slice(1));
      if (wrong !== null) out.push({ file, line: check.line(value) + i + (block ? 1 : 0), field, message: wrong });
    }
  });
  return out;
}

function machineSettings(m: NonNullable<ScenarioFile['machine']>): ScenarioMachineSettings {
  return {
    ...(m.mutations === undefined ? {} : { mutations: m.mutations }),
    ...(m.ramdisk_kb === undefined ? {} : { ramdiskKb: m.ramdisk_kb }),
    ...(m.no_space_timeout === undefined ? {} : { noSpaceTimeout: m.no_space_timeout }),
  };
}

function toExpectation(e: ExpectationFile): Expectation {
  return {
    ...(e.output === undefined ? {} : { output: e.output }),
    ...(e.output_contains === undefined ? {} : { outputContains: e.output_contains }),
    ...(e.output_matches === undefined ? {} : { outputMatches: e.output_matches }),
    ...(e.status === undefined ? {} : { status: e.status }),
    ...(e.pool_mode === undefined ? {} : { poolMode: e.pool_mode }),
    ...(e.needs_check === undefined ? {} : { needsCheck: e.needs_check }),
    ...(e.used_data_blocks === undefined ? {} : { usedDataBlocks: e.used_data_blocks }),
    ...(e.reads === undefined
      ? {}
      : {
          reads: e.reads.map((r) => ({
            device: r.device,
            offset: r.offset,
            length: r.length,
            ...(r.md5 === undefined ? {} : { md5: r.md5 }),
            ...(r.byte === undefined ? {} : { byte: r.byte }),
          })),
        }),
    ...(e.invariants === undefined ? {} : { invariants: true }),
    ...(e.holds === undefined ? {} : { holds: e.holds }),
  };
}

function toStep(s: StepFile, line: number): Step {
  const withExpect = s.expect === undefined ? {} : { expect: toExpectation(s.expect) };
  if (s.run !== undefined) return { kind: 'run', line, command: s.run, ...withExpect };
  if (s.advance !== undefined)
    return { kind: 'advance', line, ms: parseDuration(s.advance)!, text: s.advance, ...withExpect };
  if (s.crash !== undefined) return { kind: 'crash', line, ...withExpect };
  if (s.fault !== undefined) return { kind: 'fault', line, text: s.fault.trim(), ...withExpect };
  if (s.mark !== undefined) return { kind: 'mark', line, name: s.mark };
  return { kind: 'expect', line, expect: toExpectation(s.expect!) };
}
