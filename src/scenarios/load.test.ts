/**
 * Loading scenario files: every problem names the file, the line and the field, all problems of a
 * file are reported together, and a `.sh` scenario needs its `.expected` transcript.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../cli/scenario-files.js';
import { parseDuration, parseScenario } from './load.js';
import { ScenarioInvalid, type ScenarioProblem } from './types.js';

function problems(text: string): ScenarioProblem[] {
  try {
    parseScenario('bad.yaml', text);
  } catch (e) {
    if (e instanceof ScenarioInvalid) return [...e.problems];
    throw e;
  }
  throw new Error('the scenario was accepted');
}

const dir = mkdtempSync(join(tmpdir(), 'thinlab-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scenario loader', () => {
  it('reads the stack a scenario runs on, and leaves it unset when the file does not say', () => {
    const on13 = parseScenario('s.yaml', 'title: t\nstack: debian13\nsteps:\n  - run: echo hi\n');
    expect(on13.stack).toBe('debian13');
    expect(parseScenario('s.yaml', 'title: t\nsteps:\n  - run: echo hi\n').stack).toBeUndefined();
  });

  it('refuses an unknown stack by name, with the known ones', () => {
    expect(problems('title: t\nstack: debian14\nsteps:\n  - run: echo hi\n')).toEqual([
      { file: 'bad.yaml', line: 2, field: 'stack', message: "unknown stack 'debian14' (known: debian12, debian13)" },
    ]);
  });

  it('reads a valid scenario with every kind of step', () => {
    const s = parseScenario(
      'ok.yaml',
      [
        'title: t',
        'report: https://example.org/1',
        'machine: {ramdisk_kb: 4096, no_space_timeout: 2}',
        'steps:',
        '  - run: echo hi',
        '    expect: {output: "hi\\n", status: 0}',
        '  - advance: 1.5s',
        '  - crash: true',
        '  - mark: here',
        '  - expect:',
        '      pool_mode: {pool: write}',
        '      used_data_blocks: {pool: 3}',
        '      needs_check: {pool: false}',
        '      reads: [{device: /dev/mapper/thin, offset: 0, length: 512, byte: A}]',
        '      invariants: true',
      ].join('\n'),
    );
    expect(s.machine).toEqual({ ramdiskKb: 4096, noSpaceTimeout: 2 });
    expect(s.steps.map((x) => x.kind)).toEqual(['run', 'advance', 'crash', 'mark', 'expect']);
    expect(s.steps.map((x) => x.line)).toEqual([5, 7, 8, 9, 10]);
    expect(s.steps[1]).toMatchObject({ ms: 1500 });
  });

  it('reports bad YAML with its line', () => {
    const p = problems('title: t\nsteps: [\n  - run: x\n');
    expect(p[0]!.message).toMatch(/^not valid YAML/);
    expect(p[0]!.line).toBeGreaterThan(1);
  });

  it('names an unknown step, its line and what is allowed', () => {
    const p = problems('title: t\nsteps:\n  - run: echo\n  - inject: fault\n');
    expect(p).toEqual([
      {
        file: 'bad.yaml',
        line: 4,
        field: 'steps[2].inject',
        message: "unknown step 'inject' (expected one of run, advance, crash, fault, mark, expect)",
      },
    ]);
  });

  it('reports wrong types and missing fields, all at once, with file:line in the message', () => {
    const p = problems(
      [
        'report: not-a-url',
        'machine: {ramdisk_kb: big}',
        'steps:',
        '  - run: echo',
        '    expect:',
        '      status: "0"',
        '      pool_mode: {pool: writable}',
        '  - advance: soon',
        '  - expect: {output: x}',
        '  - run: a',
        '    crash: true',
      ].join('\n'),
    );
    const lines = p.map((x) => `${x.line} ${x.field}`);
    expect(lines).toEqual([
      '1 title',
      '1 report',
      '2 machine.ramdisk_kb',
      '6 steps[1].expect.status',
      '7 steps[1].expect.pool_mode.pool',
      '8 steps[2].advance',
      '9 steps[3].expect.output',
      '10 steps[4]',
    ]);
    expect(new ScenarioInvalid(p).message.split('\n')[3]).toBe(
      "bad.yaml:6: steps[1].expect.status: expected a whole number from 0 to 255, got '0'",
    );
  });

  it('checks read ranges', () => {
    const p = problems(
      'title: t\nsteps:\n  - expect:\n      reads:\n        - {device: /dev/x, offset: 100, length: 512, byte: A, md5: 00}\n',
    );
    expect(p.map((x) => x.field)).toEqual([
      'steps[1].expect.reads[1]',
      'steps[1].expect.reads[1].offset',
      'steps[1].expect.reads[1].md5',
    ]);
  });

  it('reads fault steps and symptoms, and turns a fault step into the fault directive', () => {
    const s = parseScenario(
      'f.yaml',
      [
        'title: t',
        'symptoms: ["dd: ... Input/output error"]',
        'steps:',
        '  - fault: io /dev/ram1 0+128 write',
        '    expect: {invariants: true}',
      ].join('\n'),
    );
    expect(s.symptoms).toEqual(['dd: ... Input/output error']);
    expect(s.steps[0]).toEqual({
      kind: 'fault',
      line: 4,
      text: 'io /dev/ram1 0+128 write',
      expect: { invariants: true },
    });
  });

  it('reports an unknown fault or bad fault arguments with file, line and field, in fault steps and run lines', () => {
    const found = problems(
      [
        'title: t',
        'steps:',
        '  - fault: smash /dev/ram0',
        '  - fault: io /dev/ram1 12 write',
        '  - run: |',
        '      echo fine',
        '      dmsetup status; fault fill pool lots',
        '  - run: fault slow-commit pool',
        '  - fault:',
        'symptoms: []',
      ].join('\n'),
    );
    expect(found).toEqual([
      {
        file: 'bad.yaml',
        line: 10,
        field: 'symptoms',
        message: 'expected a non-empty list of texts, got an empty list',
      },
      {
        file: 'bad.yaml',
        line: 3,
        field: 'steps[1].fault',
        message: "unknown fault kind 'smash' (known: io, slow-commit, fill, metadata)",
      },
      {
        file: 'bad.yaml',
        line: 4,
        field: 'steps[2].fault',
        message: "'12' is not a sector range START+LEN (e.g. 2048+128)",
      },
      { file: 'bad.yaml', line: 7, field: 'steps[3].run', message: "'lots' is not a number of blocks or 'all'" },
      {
        file: 'bad.yaml',
        line: 8,
        field: 'steps[4].run',
        message: 'expected 2 arguments, got 1 (usage: fault slow-commit POOL MS)',
      },
      {
        file: 'bad.yaml',
        line: 9,
        field: 'steps[5].fault',
        message: 'expected a fault, like io /dev/ram1 0+128 write, got nothing',
      },
    ]);
  });

  it('reads named invariants to hold, and names an unknown one', () => {
    const s = parseScenario('h.yaml', 'title: t\nsteps:\n  - expect: {holds: [writable, committed]}\n');
    expect(s.steps[0]).toEqual({ kind: 'expect', line: 3, expect: { holds: ['writable', 'committed'] } });
    expect(problems('title: t\nsteps:\n  - expect:\n      holds: [writable, tidy]\n')).toEqual([
      {
        file: 'bad.yaml',
        line: 4,
        field: 'steps[1].expect.holds[2]',
        message:
          "unknown invariant 'tidy' (known: pool, writable, no-needs-check, free-data-space, free-metadata-space, no-queued-io, no-leaked-blocks, committed)",
      },
    ]);
  });

  it('parses durations', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0.5s')).toBe(500);
    expect(parseDuration('5')).toBeNull();
  });

  it('needs a .expected beside a .sh scenario, and a known extension', () => {
    const sh = join(dir, 'a.sh');
    writeFileSync(sh, '# A title\necho hi\n');
    expect(() => loadScenario(sh)).toThrow(/a\.sh:1: no transcript a\.expected/);
    writeFileSync(join(dir, 'a.expected'), 'hi\n');
    expect(loadScenario(sh)).toMatchObject({ title: 'A title', format: 'sh', expectedTranscript: 'hi\n' });
    expect(() => loadScenario(join(dir, 'a.txt'))).toThrow(ScenarioInvalid);
  });
});
