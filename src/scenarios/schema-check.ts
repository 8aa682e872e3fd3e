/**
 * Checks a parsed YAML scenario against docs/scenario.schema.json with ajv, the one statement of
 * the scenario shape, and turns ajv's errors into problems that name the file, the YAML line and
 * the field (`steps[2].expect.status`, counting from 1 as a reader does). A step is checked
 * against the schema of its kind, chosen by its key, so that a wrong step gets the errors of
 * what it was meant to be rather than the noise of every kind it is not.
 */

import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { packagePath } from '../shared/package-root.js';
import type { ScenarioProblem } from './types.js';

type Schema = Readonly<Record<string, unknown>>;
type Properties = { readonly properties: Readonly<Record<string, unknown>> };
/** The parts of docs/scenario.schema.json this module reads. */
type SchemaFile = Schema & {
  readonly $id: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly $defs: {
    readonly step: { readonly oneOf: ReadonlyArray<{ readonly $ref: string }> };
    readonly runExpectation: Properties;
    readonly stateExpectation: Properties;
  };
};

/**
 * The schema is read at run time from the package root, so that the same code works from src/
 * (through tsx, in tests) and from the compiled dist/; an import of the JSON would make the
 * compiler put docs/ inside the compiled tree.
 */
const schema = JSON.parse(readFileSync(packagePath('docs', 'scenario.schema.json'), 'utf8')) as SchemaFile;

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false });
ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
ajv.addKeyword({ keyword: 'x-unknown', schemaType: 'string' });
// A JavaScript regular expression, as the runner compiles it (multiline).
ajv.addFormat('regex', (text: string) => {
  try {
    new RegExp(text, 'm');
    return true;
  } catch {
    return false;
  }
});
ajv.addSchema(schema);

const validator = (ref: string): ValidateFunction => ajv.getSchema(`${schema.$id}${ref}`)!;
/** The whole-file check, for tests that hold files to the schema directly. */
export const validateScenario = validator('');

/** The step kinds, in the schema's order, each with the schema that checks a step of that kind. */
export const STEP_KINDS: readonly string[] = schema.$defs.step.oneOf.map((branch) => {
  const def = (schema.$defs as unknown as Record<string, { required: string[] }>)[branch.$ref.replace('#/$defs/', '')]!;
  return def.required[0]!;
});
const stepValidators = new Map(schema.$defs.step.oneOf.map((branch, i) => [STEP_KINDS[i]!, validator(branch.$ref)]));

/** The top-level fields, in the schema's order: problems are listed in this order, then by line. */
const TOP_KEYS = Object.keys(schema.properties);
/** Fields only a run step may have: a state check elsewhere gets a message that says so. */
const RUN_ONLY = Object.keys(schema.$defs.runExpectation.properties).filter(
  (k) => !(k in schema.$defs.stateExpectation.properties),
);

/** Where in the document: the path of keys and indexes, as ajv gives it. */
type Path = readonly (string | number)[];

export class SchemaCheck {
  readonly problems: ScenarioProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  /** Checks the whole document; steps one by one, against the schema of their kind. */
  check(data: unknown): void {
    if (!validateScenario(data)) {
      for (const e of validateScenario.errors ?? []) {
        // Errors inside a step come from its own check below.
        if (/^\/steps\/\d+/.test(e.instancePath)) continue;
        this.fromAjv(e, []);
      }
    }
    const steps = (data as { steps?: unknown }).steps;
    if (Array.isArray(steps)) steps.forEach((step, i) => this.step(step, ['steps', i]));
  }

  /** The kind of a step, or null after reporting why it has none. */
  step(step: unknown, path: Path): string | null {
    const node = this.node(path);
    const field = fieldOf(path);
    if (step === null || typeof step !== 'object' || Array.isArray(step)) {
      this.problem(
        node,
        field,
        `expected a step (a mapping with one of ${STEP_KINDS.join(', ')}), got ${describe(node)}`,
      );
      return null;
    }
    const keys = Object.keys(step);
    for (const key of keys) {
      if (!STEP_KINDS.includes(key))
        this.problem(
          this.keyNode([...path, key]),
          fieldOf([...path, key]),
          `unknown step '${key}' (expected one of ${STEP_KINDS.join(', ')})`,
        );
    }
    const kinds = keys.filter((k) => STEP_KINDS.includes(k) && k !== 'expect');
    if (kinds.length > 1) {
      this.problem(node, field, `one step does one thing: ${kinds.join(' and ')} must be separate steps`);
      return null;
    }
    const kind = kinds[0] ?? (keys.includes('expect') ? 'expect' : null);
    if (kind === null) {
      if (keys.length === 0) this.problem(node, field, `empty step (expected one of ${STEP_KINDS.join(', ')})`);
      return null;
    }
    const validate = stepValidators.get(kind)!;
    if (!validate(step)) for (const e of validate.errors ?? []) this.fromAjv(e, path);
    return kind;
  }

  line(node: Node | null | undefined): number {
    const at = node?.range?.[0];
    return at === undefined ? 0 : this.lc.linePos(at).line;
  }

  problem(node: Node | null | undefined, field: string, message: string): void {
    this.problems.push({ file: this.file, line: this.line(node), field, message });
  }

  /**
   * The problems in reading order: by top-level field as the schema lists them, then by line,
   * the outer field first; a problem a code check found for a field (a fault's arguments) stands
   * for the schema's less precise one about the same field.
   */
  sorted(codeProblems: readonly ScenarioProblem[]): ScenarioProblem[] {
    const coded = new Set(codeProblems.map((p) => p.field));
    const all = [...this.problems.filter((p) => !coded.has(p.field)), ...codeProblems];
    const top = (p: ScenarioProblem): number => {
      const i = TOP_KEYS.indexOf(p.field.split(/[.[]/)[0]!);
      return i < 0 ? -1 : i;
    };
    const depth = (p: ScenarioProblem): number => p.field.split(/[.[]/).length;
    return all
      .map((p, i) => ({ p, i }))
      .sort((a, b) => top(a.p) - top(b.p) || a.p.line - b.p.line || depth(a.p) - depth(b.p) || a.i - b.i)
      .map(({ p }) => p);
  }

  /** The YAML node at a path (a key with no value stands for its value). */
  node(path: Path): Node | null {
    let node: Node | null = this.doc.contents as Node | null;
    for (const seg of path) {
      if (isSeq(node) && typeof seg === 'number') node = (node.items[seg] as Node | undefined) ?? null;
      else if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        node = pair === undefined ? null : ((pair.value as Node | null) ?? (pair.key as Node));
      } else return node;
    }
    return node;
  }

  /** The key node of the last step of a path, where an unknown field is written. */
  keyNode(path: Path): Node | null {
    const parent = this.node(path.slice(0, -1));
    if (!isMap(parent)) return parent;
    const pair = parent.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]),
    );
    return (pair?.key as Node | undefined) ?? parent;
  }

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: one case per ajv keyword, each turning ajv's error into the loader's message.
  private fromAjv(e: ErrorObject, base: Path): void {
    const path: Path = [
      ...base,
      ...e.instancePath
        .split('/')
        .slice(1)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~'))),
    ];
    // Errors from inside a oneOf branch are summed up by the oneOf error itself.
    if (/\/oneOf\/\d+\//.test(e.schemaPath.slice(e.schemaPath.indexOf('#')))) return;
    const node = this.node(path);
    const field = fieldOf(path);
    const s = (e.parentSchema ?? {}) as Schema;
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(params.additionalProperty);
        const at = [...path, key];
        if (RUN_ONLY.includes(key)) {
          this.problem(
            this.node(at),
            fieldOf(at),
            'only a run step prints output and has an exit status; check the state here, or move this into the run step',
          );
        } else if (key === 'expect' && 'mark' in ((s.properties as object | undefined) ?? {})) {
          this.problem(this.node(at), fieldOf(at), 'a mark has nothing to check; put the expectation in its own step');
        } else {
          this.problem(
            this.keyNode(at),
            fieldOf(at),
            `unknown field '${key}' (expected one of ${Object.keys((s.properties as object | undefined) ?? {}).join(', ')})`,
          );
        }
        return;
      }
      case 'required': {
        const key = String(params.missingProperty);
        const description =
          ((s.properties as Record<string, Schema> | undefined)?.[key]?.description as string | undefined) ?? '';
        return this.problem(
          node,
          fieldOf([...path, key]),
          `missing${path.length === 0 ? ` (${key} is required${description === '' ? '' : `: ${description.replace(/\.$/, '')}`})` : ''}`,
        );
      }
      case 'type':
      case 'const':
        return this.problem(node, field, `expected ${expectedOf(s)}, got ${describe(node)}`);
      case 'minimum':
      case 'maximum':
        return this.problem(node, field, `expected ${expectedOf(s)}, got ${String(e.data)}`);
      case 'multipleOf':
        return this.problem(
          node,
          field,
          `expected a multiple of ${String(params.multipleOf)} bytes, got ${String(e.data)}`,
        );
      case 'pattern':
        return this.problem(node, field, `expected ${expectedOf(s)}, got '${String(e.data)}'`);
      case 'enum':
        if (typeof s['x-unknown'] === 'string')
          return this.problem(
            node,
            field,
            `unknown ${s['x-unknown']} '${String(e.data)}' (known: ${(s.enum as unknown[]).join(', ')})`,
          );
        return this.problem(node, field, `expected ${expectedOf(s)}, got ${describe(node)}`);
      case 'format':
        try {
          new RegExp(String(e.data), 'm');
        } catch (err) {
          return this.problem(node, field, `not a valid regular expression: ${(err as Error).message}`);
        }
        return this.problem(node, field, `expected ${String(params.format)}`);
      case 'minItems':
        return this.problem(
          node,
          field,
          `expected a non-empty list${(s.items as Schema | undefined)?.type === 'string' ? ' of texts' : ''}, got ${isSeq(node) && node.items.length === 0 ? 'an empty list' : describe(node)}`,
        );
      case 'minLength':
        return this.problem(node, field, 'expected a non-empty text');
      case 'maxLength':
        return this.problem(node, field, `expected ${expectedOf(s)}, got '${String(e.data)}'`);
      case 'minProperties':
        return this.problem(
          node,
          field,
          'additionalProperties' in s && typeof s.additionalProperties === 'object'
            ? 'expected a mapping of pool device names to values, like {pool: write}'
            : 'nothing to check',
        );
      case 'oneOf': {
        const data = e.data as Record<string, unknown>;
        return this.problem(
          node,
          field,
          'md5' in data && 'byte' in data
            ? 'give md5 or byte, not both'
            : 'give md5 or byte: what the range must read back',
        );
      }
      default:
        return this.problem(node, field, e.message ?? `does not match the schema (${e.keyword})`);
    }
  }
}

/** `steps[2].expect.status` for ['steps', 1, 'expect', 'status']: indexes count from 1. */
export function fieldOf(path: Path): string {
  return path.reduce<string>(
    (out, seg) => (typeof seg === 'number' ? `${out}[${seg + 1}]` : out === '' ? seg : `${out}.${seg}`),
    '',
  );
}

/** What a schema accepts, in words, for a message. */
function expectedOf(s: Schema): string {
  const words = typeof s['x-expected'] === 'string' ? s['x-expected'] : null;
  if ('const' in s) return words ?? String(s.const);
  if (Array.isArray(s.enum)) return `${words ?? 'one of'} (${s.enum.join(', ')})`;
  if (words !== null) return words;
  switch (s.type) {
    case 'integer': {
      const min = typeof s.minimum === 'number' ? s.minimum : 0;
      return `a whole number from ${min}${typeof s.maximum === 'number' ? ` to ${s.maximum}` : ' up'}`;
    }
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    default:
      return 'text';
  }
}

export function describe(node: Node | null | undefined): string {
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
