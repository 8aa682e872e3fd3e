/**
 * What a scenario file holds once it is loaded and checked: the shape the runner works on. The
 * YAML form is described in docs/scenarios.md and docs/scenario.schema.json.
 */
import type { ModelMutation } from '../model/mutations.js';
import type { PoolMode } from '../model/lifecycle.js';
import type { StackId } from '../model/stack.js';

/** A check of what one device range reads back through the lab. */
export interface ReadCheck {
  readonly device: string;
  /** Bytes from the start of the device; a multiple of 512. */
  readonly offset: number;
  /** Bytes to read; a multiple of 512. */
  readonly length: number;
  readonly md5?: string;
  /** Every byte of the range must be this character. */
  readonly byte?: string;
}

/** Checks of the lab's state, meaningful at any position of a history (bisect uses these). */
export interface StateExpectation {
  readonly poolMode?: Readonly<Record<string, PoolMode>>;
  readonly needsCheck?: Readonly<Record<string, boolean>>;
  readonly usedDataBlocks?: Readonly<Record<string, number>>;
  readonly reads?: readonly ReadCheck[];
  readonly invariants?: boolean;
  /** Named invariants (src/model/named-invariants.ts) that must hold on every live pool. */
  readonly holds?: readonly string[];
}

/** Checks of what a run step printed and its exit status, plus state checks. */
export interface Expectation extends StateExpectation {
  readonly output?: string;
  readonly outputMatches?: string;
  readonly outputContains?: string;
  readonly status?: number;
}

export type Step =
  | { readonly kind: 'run'; readonly line: number; readonly command: string; readonly expect?: Expectation }
  | {
      readonly kind: 'advance';
      readonly line: number;
      readonly ms: number;
      readonly text: string;
      readonly expect?: Expectation;
    }
  | { readonly kind: 'crash'; readonly line: number; readonly expect?: Expectation }
  /** A lab fault: the `fault` directive's arguments (`io /dev/ram1 0+128 write`). */
  | { readonly kind: 'fault'; readonly line: number; readonly text: string; readonly expect?: Expectation }
  | { readonly kind: 'mark'; readonly line: number; readonly name: string }
  | { readonly kind: 'expect'; readonly line: number; readonly expect: Expectation };

export interface ScenarioMachineSettings {
  readonly ramdiskKb?: number;
  /** Seconds; set with the module parameter before the first step. */
  readonly noSpaceTimeout?: number;
  /** Deliberate model bugs (src/model/mutations.ts): only scenario files the mutation suite wrote have them. */
  readonly mutations?: readonly ModelMutation[];
}

export interface Scenario {
  readonly file: string;
  readonly format: 'yaml' | 'sh';
  readonly title: string;
  readonly report?: string;
  readonly cites?: string;
  readonly whatHappened?: string;
  /**
   * What a user sees when this happens in the field (a kernel log line, a status line, a Docker
   * error), for `thinlab explain`; each is matched as text, `...` standing for anything.
   */
  readonly symptoms?: readonly string[];
  readonly machine: ScenarioMachineSettings;
  /** The software stack the scenario runs on (`stack:`); debian12 when the file does not say. */
  readonly stack?: StackId;
  readonly steps: readonly Step[];
  /** For a `.sh` scenario: the transcript the whole script must print. */
  readonly expectedTranscript?: string;
}

/** One problem in a scenario file, with where it is. */
export interface ScenarioProblem {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

export class ScenarioInvalid extends Error {
  override readonly name = 'ScenarioInvalid';
  readonly code = 'SCENARIO_INVALID';
  constructor(readonly problems: readonly ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ScenarioProblem): string {
  // Line 0: the problem is the file as a whole (it cannot be read, or has the wrong extension).
  return `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.field === '' ? '' : `${p.field}: `}${p.message}`;
}
