/**
 * Reading scenarios: YAML (`*.yaml`, `*.yml`) or a plain script with its transcript (`*.sh` plus
 * `*.expected`). The YAML is checked by hand against the shape in docs/scenario.schema.json,
 * walking the parsed document so that every problem names the file, the line and the field; all
 * problems are collected before giving up, so a user fixes a file in one go. Reading the files
 * themselves is the CLI's job (src/cli/scenario-files.ts).
 */
import { isModelMutation, MODEL_MUTATIONS, type ModelMutation } from '../model/mutations.js';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { checkFaultArgs } from '../faults/fault-command.js';
import { POOL_MODES, type PoolMode } from '../model/lifecycle.js';
import { NAMED_INVARIANTS, namedInvariant } from '../model/named-invariants.js';
import { ScenarioInvalid, type Expectation, type ReadCheck, type ScenarioMachineSettings, type Scenario, type ScenarioProblem, type Step } from './types.js';

const TOP_KEYS = ['title', 'report', 'cites', 'what_happened', 'symptoms', 'machine', 'steps'] as const;
const MACHINE_KEYS = ['ramdisk_kb', 'no_space_timeout', 'mutations'] as const;
const STEP_KINDS = ['run', 'advance', 'crash', 'fault', 'mark', 'expect'] as const;
const EXPECT_KEYS = ['output', 'output_matches', 'output_contains', 'status', 'pool_mode', 'needs_check', 'used_data_blocks', 'reads', 'invariants', 'holds'] as const;
const READ_KEYS = ['device', 'offset', 'length', 'md5', 'byte'] as const;

/**
 * A `.sh` scenario: the whole script is one run step whose output must equal its transcript
 * (`NAME.expected`, null when there is none beside it).
 */
export function parseShellScenario(file: string, script: string, expected: string | null, expectedName: string): Scenario {
  if (expected === null) {
    throw new ScenarioInvalid([{ file, line: 1, field: '', message: `no transcript ${expectedName} beside the script (run it with \`thinlab sh --no-record\` and keep what it prints, once you have checked it)` }]);
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
  for (const e of doc.errors) problems.push({ file, line: lc.linePos(e.pos[0]).line, field: '', message: `not valid YAML: ${e.message.split('\n')[0]}` });
  if (problems.length > 0) throw new ScenarioInvalid(problems);
  const c = new Checker(file, lc, problems);
  const root = doc.contents;
  if (!isMap(root)) {
    c.problem(root, '', 'the file must be a mapping with title, steps and the other fields of docs/scenarios.md');
    throw new ScenarioInvalid(problems);
  }
  const top = c.entries(root, '', TOP_KEYS);
  const title = top.has('title') ? c.string(top.get('title')!, 'title') : (c.problem(root, 'title', 'missing (a one-line title is required)'), '');
  const report = top.has('report') ? c.string(top.get('report')!, 'report', /^https?:\/\//, 'a URL (http:// or https://)') : undefined;
  const cites = top.has('cites') ? c.string(top.get('cites')!, 'cites') : undefined;
  const whatHappened = top.has('what_happened') ? c.string(top.get('what_happened')!, 'what_happened') : undefined;
  const symptoms = top.has('symptoms') ? c.strings(top.get('symptoms')!, 'symptoms') : undefined;
  const machine = top.has('machine') ? c.machine(top.get('machine')!) : {};
  let steps: Step[] = [];
  const stepsNode = top.get('steps');
  if (stepsNode === undefined) c.problem(root, 'steps', 'missing (a list of steps is required)');
  else if (!isSeq(stepsNode) || stepsNode.items.length === 0) c.problem(stepsNode, 'steps', 'expected a non-empty list of steps');
  else steps = stepsNode.items.map((item, i) => c.step(item as Node, `steps[${i + 1}]`)).filter((s): s is Step => s !== null);
  if (problems.length > 0) throw new ScenarioInvalid(problems);
  return {
    file,
    format: 'yaml',
    title,
    ...(report === undefined ? {} : { report }),
    ...(cites === undefined ? {} : { cites }),
    ...(whatHappened === undefined ? {} : { whatHappened }),
    ...(symptoms === undefined ? {} : { symptoms }),
    machine,
    steps,
  };
}

/** `2s`, `1.5s`, `250ms` as milliseconds, or null. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]+(?:\.[0-9]+)?)(s|ms)$/.exec(text.trim());
  if (m === null) return null;
  const ms = m[2] === 's' ? Math.round(Number(m[1]) * 1000) : Number(m[1]);
  return Number.isInteger(ms) ? ms : null;
}

/** Walks the document, collecting problems with their lines. */
class Checker {
  constructor(
    private readonly file: string,
    private readonly lc: LineCounter,
    private readonly problems: ScenarioProblem[],
  ) {}

  line(node: Node | null | undefined): number {
    const at = node?.range?.[0];
    return at === undefined ? 0 : this.lc.linePos(at).line;
  }

  problem(node: Node | null | undefined, field: string, message: string): void {
    this.problems.push({ file: this.file, line: this.line(node), field, message });
  }

  /** The entries of a mapping with string keys; unknown keys are problems naming the known ones. */
  entries(node: Node, field: string, known: readonly string[], noun = 'field'): Map<string, Node> {
    const out = new Map<string, Node>();
    if (!isMap(node)) {
      this.problem(node, field, 'expected a mapping');
      return out;
    }
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : null;
      const where = field === '' ? String(key) : `${field}.${String(key)}`;
      if (key === null) this.problem(keyNode, field, 'keys must be plain words');
      else if (!known.includes(key)) this.problem(keyNode, where, `unknown ${noun} '${key}' (expected one of ${known.join(', ')})`);
      else if (out.has(key)) this.problem(keyNode, where, 'given twice');
      // A key with no value (`crash:`) is kept as a null scalar at the key's line.
      else out.set(key, (pair.value as Node | null) ?? keyNode);
    }
    return out;
  }

  scalar(node: Node, field: string, type: 'string' | 'number' | 'boolean', what: string): unknown {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== type) {
      this.problem(node, field, `expected ${what}, got ${describe(node)}`);
      return undefined;
    }
    return v;
  }

  string(node: Node, field: string, pattern?: RegExp, what = 'text'): string {
    const v = this.scalar(node, field, 'string', what);
    if (typeof v !== 'string') return '';
    if (pattern !== undefined && !pattern.test(v)) this.problem(node, field, `expected ${what}, got '${v}'`);
    return v;
  }

  /** A non-empty list of non-empty strings. */
  strings(node: Node, field: string): string[] {
    if (!isSeq(node) || node.items.length === 0) {
      this.problem(node, field, `expected a non-empty list of texts, got ${isSeq(node) ? 'an empty list' : describe(node)}`);
      return [];
    }
    return node.items.map((item, i) => {
      const v = this.string(item as Node, `${field}[${i + 1}]`);
      if (v.trim() === '' && isScalar(item)) this.problem(item as Node, `${field}[${i + 1}]`, 'expected a non-empty text');
      return v;
    });
  }

  /**
   * Checks every `fault` command line of a run text as the fault step checks its own: an unknown
   * kind or bad arguments are found before anything runs, not skipped at run time.
   */
  faultLines(value: Node, field: string, text: string): void {
    const block = isScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED');
    text.split('\n').forEach((lineText, i) => {
      // Simple commands of the line (quoting is not looked at: fault arguments have none).
      for (const piece of lineText.split(/;|&&|\|\||\|/)) {
        const words = piece.trim().split(/\s+/);
        if (words[0] !== 'fault') continue;
        const wrong = checkFaultArgs(words.slice(1));
        if (wrong !== null) this.problems.push({ file: this.file, line: this.line(value) + i + (block ? 1 : 0), field, message: wrong });
      }
    });
  }

  integer(node: Node, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const what = `a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`;
    const v = this.scalar(node, field, 'number', what);
    if (typeof v !== 'number') return 0;
    if (!Number.isInteger(v) || v < min || v > max) this.problem(node, field, `expected ${what}, got ${v}`);
    return v;
  }

  boolean(node: Node, field: string): boolean {
    return this.scalar(node, field, 'boolean', 'true or false') === true;
  }

  machine(node: Node): ScenarioMachineSettings {
    const e = this.entries(node, 'machine', MACHINE_KEYS);
    const ramdisk = e.get('ramdisk_kb');
    const timeout = e.get('no_space_timeout');
    const mutations = e.get('mutations');
    return {
      ...(mutations === undefined ? {} : { mutations: this.mutations(mutations) }),
      ...(ramdisk === undefined ? {} : { ramdiskKb: this.integer(ramdisk, 'machine.ramdisk_kb', 1, 16 * 1024 * 1024) }),
      ...(timeout === undefined ? {} : { noSpaceTimeout: this.integer(timeout, 'machine.no_space_timeout', 0, 86_400) }),
    };
  }

  /** `machine.mutations`: deliberate model bugs, written by the property tests' mutation suite. */
  mutations(node: Node): ModelMutation[] {
    if (!isSeq(node)) {
      this.problem(node, 'machine.mutations', `expected a list of mutation names (${MODEL_MUTATIONS.join(', ')}), got ${describe(node)}`);
      return [];
    }
    const out: ModelMutation[] = [];
    node.items.forEach((item, i) => {
      const name = this.string(item as Node, `machine.mutations[${i + 1}]`);
      if (isModelMutation(name)) out.push(name);
      else this.problem(item as Node, `machine.mutations[${i + 1}]`, `unknown mutation '${name}' (known: ${MODEL_MUTATIONS.join(', ')})`);
    });
    return out;
  }

  step(node: Node, field: string): Step | null {
    if (!isMap(node)) {
      this.problem(node, field, `expected a step (a mapping with one of ${STEP_KINDS.join(', ')}), got ${describe(node)}`);
      return null;
    }
    const e = this.entries(node, field, STEP_KINDS, 'step');
    const kinds = [...e.keys()].filter((k) => k !== 'expect');
    const line = this.line(node);
    if (kinds.length > 1) {
      this.problem(node, field, `one step does one thing: ${kinds.join(' and ')} must be separate steps`);
      return null;
    }
    const expectNode = e.get('expect');
    const kind = kinds[0] ?? (expectNode !== undefined ? 'expect' : undefined);
    if (kind === undefined) {
      if (e.size === 0 && this.problems.every((p) => p.line !== line)) this.problem(node, field, `empty step (expected one of ${STEP_KINDS.join(', ')})`);
      return null;
    }
    const expect = expectNode === undefined ? undefined : this.expectation(expectNode, `${field}.expect`, kind === 'run');
    const withExpect = expect === undefined ? {} : { expect };
    const value = e.get(kind)!;
    switch (kind) {
      case 'run': {
        const command = this.string(value, `${field}.run`);
        if (command.trim() === '') this.problem(value, `${field}.run`, 'expected a command line');
        this.faultLines(value, `${field}.run`, command);
        return { kind, line, command, ...withExpect };
      }
      case 'fault': {
        const text = this.string(value, `${field}.fault`, undefined, 'a fault, like io /dev/ram1 0+128 write');
        const wrong = text === '' ? null : checkFaultArgs(text.trim().split(/\s+/));
        if (wrong !== null) this.problem(value, `${field}.fault`, wrong);
        return { kind, line, text: text.trim(), ...withExpect };
      }
      case 'advance': {
        const text = isScalar(value) ? String(value.value) : '';
        const ms = parseDuration(text);
        if (ms === null) this.problem(value, `${field}.advance`, `expected a duration like 5s, 1.5s or 250ms, got ${describe(value)}`);
        return { kind, line, ms: ms ?? 0, text, ...withExpect };
      }
      case 'crash':
        if (isScalar(value) && value.value !== true) this.problem(value, `${field}.crash`, `expected true, got ${describe(value)}`);
        return { kind, line, ...withExpect };
      case 'mark': {
        const name = this.string(value, `${field}.mark`, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name of letters, digits, ., _ or -');
        if (expect !== undefined) this.problem(expectNode, `${field}.expect`, 'a mark has nothing to check; put the expectation in its own step');
        return { kind, line, name };
      }
      default:
        return expect === undefined ? null : { kind: 'expect', line, expect };
    }
  }

  expectation(node: Node, field: string, hasOutput: boolean): Expectation | undefined {
    const e = this.entries(node, field, EXPECT_KEYS);
    if (isMap(node) && node.items.length === 0) this.problem(node, field, 'nothing to check');
    const out: {
      -readonly [K in keyof Expectation]: Expectation[K];
    } = {};
    for (const [key, value] of e) {
      const f = `${field}.${key}`;
      if (!hasOutput && ['output', 'output_matches', 'output_contains', 'status'].includes(key)) {
        this.problem(value, f, 'only a run step prints output and has an exit status; check the state here, or move this into the run step');
        continue;
      }
      switch (key) {
        case 'output':
          out.output = this.string(value, f);
          break;
        case 'output_contains':
          out.outputContains = this.string(value, f);
          break;
        case 'output_matches': {
          const re = this.string(value, f, undefined, 'a regular expression');
          try {
            new RegExp(re, 'm');
          } catch (err) {
            this.problem(value, f, `not a valid regular expression: ${(err as Error).message}`);
          }
          out.outputMatches = re;
          break;
        }
        case 'status':
          out.status = this.integer(value, f, 0, 255);
          break;
        case 'pool_mode':
          out.poolMode = this.perPool(value, f, (v, ff) => this.string(v, ff, new RegExp(`^(${POOL_MODES.join('|')})$`), `a pool mode (${POOL_MODES.join(', ')})`) as PoolMode);
          break;
        case 'needs_check':
          out.needsCheck = this.perPool(value, f, (v, ff) => this.boolean(v, ff));
          break;
        case 'used_data_blocks':
          out.usedDataBlocks = this.perPool(value, f, (v, ff) => this.integer(v, ff, 0));
          break;
        case 'reads':
          out.reads = this.reads(value, f);
          break;
        case 'invariants':
          if (this.scalar(value, f, 'boolean', 'true') === false) this.problem(value, f, 'expected true (leave it out not to check)');
          out.invariants = true;
          break;
        case 'holds': {
          const names = this.strings(value, f);
          names.forEach((n, i) => {
            if (n !== '' && namedInvariant(n) === undefined) this.problem(isSeq(value) ? (value.items[i] as Node) : value, `${f}[${i + 1}]`, `unknown invariant '${n}' (known: ${NAMED_INVARIANTS.map((x) => x.name).join(', ')})`);
          });
          out.holds = names;
          break;
        }
      }
    }
    return out;
  }

  perPool<T>(node: Node, field: string, value: (node: Node, field: string) => T): Record<string, T> {
    const out: Record<string, T> = {};
    if (!isMap(node) || node.items.length === 0) {
      this.problem(node, field, 'expected a mapping of pool device names to values, like {pool: write}');
      return out;
    }
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      out[key] = value((pair.value as Node | null) ?? (pair.key as Node), `${field}.${key}`);
    }
    return out;
  }

  reads(node: Node, field: string): ReadCheck[] {
    if (!isSeq(node) || node.items.length === 0) {
      this.problem(node, field, 'expected a list of {device, offset, length, md5 or byte}');
      return [];
    }
    return node.items.map((item, i) => {
      const f = `${field}[${i + 1}]`;
      const e = this.entries(item as Node, f, READ_KEYS);
      const need = (k: string): Node | undefined => {
        const n = e.get(k);
        if (n === undefined && isMap(item)) this.problem(item as Node, `${f}.${k}`, 'missing');
        return n;
      };
      const device = need('device');
      const offset = need('offset');
      const length = need('length');
      const md5 = e.get('md5');
      const byte = e.get('byte');
      if (md5 === undefined && byte === undefined && isMap(item)) this.problem(item as Node, f, 'give md5 or byte: what the range must read back');
      if (md5 !== undefined && byte !== undefined) this.problem(item as Node, f, 'give md5 or byte, not both');
      const sectorMultiple = (n: Node | undefined, k: string): number => {
        if (n === undefined) return 0;
        const v = this.integer(n, `${f}.${k}`, k === 'length' ? 512 : 0);
        if (v % 512 !== 0) this.problem(n, `${f}.${k}`, `expected a multiple of 512 bytes, got ${v}`);
        return v;
      };
      return {
        device: device === undefined ? '' : this.string(device, `${f}.device`, /^\//, 'a device path such as /dev/mapper/thin'),
        offset: sectorMultiple(offset, 'offset'),
        length: sectorMultiple(length, 'length'),
        ...(md5 === undefined ? {} : { md5: this.string(md5, `${f}.md5`, /^[0-9a-f]{32}$/, 'an md5 sum (32 lowercase hex digits)') }),
        ...(byte === undefined ? {} : { byte: this.string(byte, `${f}.byte`, /^[\s\S]$/, 'one character') }),
      };
    });
  }
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    return typeof v === 'string' ? `'${v}'` : `${typeof v} ${String(v)}`;
  }
  return 'something else';
}
