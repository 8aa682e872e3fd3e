import { afterAll, describe, expect, it } from 'vitest';
import { defineTool } from './define-tool.js';
import { THIN_TOOL_NAMES, thinToolPathPositions } from './index.js';
import type { ToolEnv } from './tool-io.js';
import { hasRealTools, ToolBench } from './tool-test-support.js';

const USAGE = 'Usage: toy [options] {file}\n';

/** A tool with each kind of option, recording what it was handed. */
function toy(seen: string[]) {
  return defineTool({
    name: 'toy',
    usage: USAGE,
    version: '9.9',
    options: [
      { long: 'help', short: 'h' },
      { long: 'metadata-snap', short: 'm', arg: 'optional' },
      { long: 'output', short: 'o', arg: 'required' },
      { long: 'verbose' },
      { long: 'version', short: 'V' },
      { long: 'stop', key: 'S' },
    ],
    start: (_env, usageError) => ({
      option: (key, arg) => {
        seen.push(`${key}=${arg ?? ''}`);
        return key === 'S' ? 7 : undefined;
      },
      run: (operands) => {
        if (operands.length === 0) return usageError('No input file provided.');
        seen.push(`run ${operands.join(' ')}`);
        return 0;
      },
    }),
  });
}

function run(args: string[]): { out: string; err: string; status: number; seen: string[] } {
  let out = '';
  let err = '';
  const seen: string[] = [];
  // The toy never touches the lab, so no shell context is needed.
  const env = {
    ctx: undefined,
    // Without a lab the release is given, as defineTool gives it to a tool.
    release: '0.9.0',
    io: { out: (t: string) => (out += t), err: (t: string) => (err += t) },
  } as unknown as ToolEnv;
  const status = toy(seen)(env, args);
  return { out, err, status, seen };
}

describe('defineTool', () => {
  it('hands options over in command-line order, then the permuted operands', () => {
    expect(run(['-o', 'x', 'dev', '--verb', '-m5', '-mo']).seen).toEqual(['o=x', 'verbose=', 'm=5', 'm=o', 'run dev']);
  });

  it('prints the usage for -h and the version for -V on stdout, at their place in the order', () => {
    expect(run(['-o', 'x', '-h', '--stop'])).toEqual({ out: USAGE, err: '', status: 0, seen: ['o=x'] });
    expect(run(['--vers'])).toMatchObject({ out: '9.9\n', status: 0 });
    expect(run(['--stop', '-h'])).toMatchObject({ out: '', status: 7, seen: ['S='] });
  });

  it("prints glibc's complaint and then the usage on stderr for a refused option, before acting on any", () => {
    expect(run(['-o', 'x', '-z'])).toEqual({
      out: '',
      err: `toy: invalid option -- 'z'\n${USAGE}`,
      status: 1,
      seen: [],
    });
    expect(run(['--ver']).err).toBe(
      `toy: option '--ver' is ambiguous; possibilities: '--verbose' '--version'\n${USAGE}`,
    );
    expect(run(['-o']).err).toBe(`toy: option requires an argument -- 'o'\n${USAGE}`);
  });

  it('gives the tool a usage error that prints the message, a newline and the usage', () => {
    expect(run([])).toEqual({ out: '', err: `No input file provided.\n${USAGE}`, status: 1, seen: [] });
  });
});

// getopt's refusals through every tool's declared option table: the same letters, names and
// argument kinds as 0.9.0's. Not probed here, because the tables are known to differ from
// 0.9.0's there: `thin_check --s` (0.9.0 lists --super-block-only first) and `thin_dump --d`
// (0.9.0's table also holds the undocumented --data-block-size and friends).
describe.skipIf(!hasRealTools)("every tool's option table refuses what 0.9.0 refuses", () => {
  const bench = new ToolBench();
  afterAll(() => bench.dispose());
  it.each(
    THIN_TOOL_NAMES.flatMap((t) => [
      `${t} -Z`,
      `${t} --bogus`,
      `${t} --help=1`,
      `${t} --ver`,
      `${t} --o`,
      `${t} -o`,
      `${t} -m`,
      `${t} --in`,
      `${t} --out`,
    ]),
  )('%s', (line) => {
    const lab = bench.lab({}, line);
    const real = bench.real({}, line);
    expect({ stdout: lab.stdout, stderr: lab.stderr, status: lab.status }).toEqual({
      stdout: real.stdout,
      stderr: real.stderr,
      status: real.status,
    });
  });
});

describe('pathPositions: which arguments name files', () => {
  const at = (tool: string, args: string[]) => thinToolPathPositions(tool, args);
  it('finds the metadata operand and the path options, and nothing else', () => {
    // Issue 17: `1` is thin_delta's snapshot id even when a file named 1 exists.
    expect(at('thin_delta', ['--snap1', '0', '--snap2', '1', 'meta.img'])).toEqual([{ index: 4, offset: 0 }]);
    expect(at('thin_dump', ['-o', 'x.xml', '--dev-id', '3', 'meta.img'])).toEqual([
      { index: 1, offset: 0 },
      { index: 4, offset: 0 },
    ]);
    expect(at('thin_dump', ['--output=x.xml', 'meta.img'])).toEqual([
      { index: 0, offset: 9 },
      { index: 1, offset: 0 },
    ]);
    expect(at('thin_ls', ['-o', 'DEV', 'meta.img'])).toEqual([{ index: 2, offset: 0 }]);
    expect(at('thin_restore', ['-i', 'in.xml', '-oout.img'])).toEqual([
      { index: 1, offset: 0 },
      { index: 2, offset: 2 },
    ]);
    expect(at('thin_metadata_size', ['-b', '64k', '-s', '1t', '-m', '1000'])).toEqual([]);
    expect(at('thin_check', ['--frobnicate', 'meta.img'])).toBeNull();
    expect(at('thin_nope', ['meta.img'])).toBeUndefined();
  });
});
