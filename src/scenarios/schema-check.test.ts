/**
 * docs/scenario.schema.json is the one statement of a scenario's shape: every library scenario
 * passes it as it stands, each kind of mistake is reported with its file, line, field and a
 * message that says what was expected, and a valid step of each kind passes the schema and reads
 * into the runner's type (src/scenarios/types.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseScenario } from './load.js';
import { STEP_KINDS, validateScenario } from './schema-check.js';
import { ScenarioInvalid, type ScenarioProblem, type Step } from './types.js';

const DIR = join(import.meta.dirname, '..', '..', 'scenarios');

function problems(text: string): ScenarioProblem[] {
  try {
    parseScenario('bad.yaml', text);
  } catch (e) {
    if (e instanceof ScenarioInvalid) return [...e.problems];
    throw e;
  }
  throw new Error('the scenario was accepted');
}

describe('the scenario schema', () => {
  it('accepts every YAML scenario of the library as it stands', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const ok = validateScenario(parse(readFileSync(join(DIR, f), 'utf8')));
      expect(validateScenario.errors ?? [], f).toEqual([]);
      expect(ok, f).toBe(true);
    }
  });

  it('names an unknown field and the fields it knows', () => {
    expect(problems('title: t\nmachine:\n  ramdisk: 4096\nsteps:\n  - crash: true\n')).toEqual([
      {
        file: 'bad.yaml',
        line: 3,
        field: 'machine.ramdisk',
        message: "unknown field 'ramdisk' (expected one of ramdisk_kb, no_space_timeout, mutations)",
      },
    ]);
  });

  it('says what a field of the wrong type should have been', () => {
    expect(
      problems(
        'title: t\nsteps:\n  - crash: true\n    expect:\n      needs_check: {pool: maybe}\n      used_data_blocks: {pool: -1}\n',
      ),
    ).toEqual([
      {
        file: 'bad.yaml',
        line: 5,
        field: 'steps[1].expect.needs_check.pool',
        message: "expected true or false, got 'maybe'",
      },
      {
        file: 'bad.yaml',
        line: 6,
        field: 'steps[1].expect.used_data_blocks.pool',
        message: 'expected a whole number from 0 up, got -1',
      },
    ]);
  });

  it('reports a missing required field where its mapping is', () => {
    expect(
      problems(
        'title: t\nsteps:\n  - expect:\n      reads:\n        - {device: /dev/mapper/thin, length: 512, byte: A}\n',
      ),
    ).toEqual([{ file: 'bad.yaml', line: 5, field: 'steps[1].expect.reads[1].offset', message: 'missing' }]);
    expect(problems('steps:\n  - crash: true\n')).toEqual([
      {
        file: 'bad.yaml',
        line: 1,
        field: 'title',
        message: 'missing (title is required: One line: what happens in the scenario)',
      },
    ]);
  });

  it('reads a valid step of each kind the schema knows into the runner type', () => {
    const samples: Record<string, [string, Step]> = {
      run: [
        'run: echo hi\n    expect: {output: "hi\\n", status: 0}',
        { kind: 'run', line: 3, command: 'echo hi', expect: { output: 'hi\n', status: 0 } },
      ],
      advance: ['advance: 250ms', { kind: 'advance', line: 3, ms: 250, text: '250ms' }],
      crash: ['crash: true\n    expect: {invariants: true}', { kind: 'crash', line: 3, expect: { invariants: true } }],
      fault: ['fault: io /dev/ram1 0+128 write', { kind: 'fault', line: 3, text: 'io /dev/ram1 0+128 write' }],
      mark: ['mark: full', { kind: 'mark', line: 3, name: 'full' }],
      expect: [
        'expect: {pool_mode: {pool: read_only}, holds: [committed], reads: [{device: /dev/x, offset: 512, length: 512, md5: 0123456789abcdef0123456789abcdef}]}',
        {
          kind: 'expect',
          line: 3,
          expect: {
            poolMode: { pool: 'read_only' },
            holds: ['committed'],
            reads: [{ device: '/dev/x', offset: 512, length: 512, md5: '0123456789abcdef0123456789abcdef' }],
          },
        },
      ],
    };
    expect(Object.keys(samples)).toEqual([...STEP_KINDS]);
    for (const [kind, [yaml, step]] of Object.entries(samples)) {
      const text = `title: t\nsteps:\n  - ${yaml}\n`;
      expect(validateScenario(parse(text)), kind).toBe(true);
      expect(parseScenario('ok.yaml', text).steps, kind).toEqual([step]);
    }
  });
});
