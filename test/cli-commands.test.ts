/**
 * Each command's arguments (its own table, its own --help with an example, unknown options refused
 * with exit 2), its --json output held to its text output, the exit status of `thinlab sh`, and
 * comments that are never events. Run in-process (test/cli-in-process.ts): the same code as
 * `npx thinlab`, without a node start-up per command.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, RAW_ARGUMENT_COMMANDS, THIN_TOOL_COMMANDS } from '../src/cli/commands/index.js';
import { ORACLE_RAMDISK_KB } from '../src/cli/ramdisk-presets.js';
import { USAGE } from '../src/cli/usage.js';
import { DEFAULT_RAMDISK_KB } from '../src/lab/lab.js';
import { THIN_TOOL_NAMES } from '../src/tools/index.js';
import { cli } from './cli-in-process.js';

let dir: string;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const dbFor = (name: string): string => join(dir, `${name}.db`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-commands-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILL = [
  'dmsetup create pool --table "0 512 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=2 oflag=direct',
  'dmsetup status pool',
  'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=4 seek=2 oflag=direct',
  'dmsetup status pool',
].join('\n');

describe('each command declares its arguments', () => {
  const named = Object.keys(COMMANDS).filter((n) => !RAW_ARGUMENT_COMMANDS.has(n));

  it('has its own --help with an example, and the overview names it', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const r = await cli([name, '--help'], dbFor('help'));
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^usage: thinlab ${name}`));
      expect(r.stdout, name).toMatch(/\nexamples?:\n {2}\S/);
      expect(r.stdout, name).toMatch(new RegExp(`\\nexamples?:\\n[\\s\\S]*thinlab ${name}\\b`));
      expect(USAGE, name).toMatch(new RegExp(`\\n {2}${name}\\b`));
    }
  });

  it('refuses an unknown option with one line and exit 2, touching nothing', async () => {
    for (const name of [...named, 'prop']) {
      const r = await cli([name, '--no-such-option'], dbFor('refuse'));
      expect(r.status, name).toBe(2);
      expect(r.stdout, name).toBe('');
      expect(r.stderr, name).toMatch(/^thinlab[: ].*unknown option '--no-such-option'.*\n$/);
      expect(r.stderr.split('\n').length, name).toBe(2);
    }
    const r = await cli(['log', '--inject', 'x'], dbFor('refuse'));
    expect(r.stderr).toBe("thinlab: log: unknown option '--inject' (thinlab log --help lists its options)\n");
  });

  it('refuses a missing value and extra arguments', async () => {
    expect((await cli(['at', '--branch'], dbFor('refuse'))).stderr).toMatch(/at: --branch needs a value/);
    const extra = await cli(['at', '1', '2'], dbFor('refuse'));
    expect(extra.status).toBe(2);
    expect(extra.stderr).toMatch(/at: unexpected argument '2'/);
  });

  it('lists the thin tools the lab has, and the oracle preset is the lab default', () => {
    expect([...THIN_TOOL_COMMANDS].sort()).toEqual([...THIN_TOOL_NAMES].sort());
    expect(ORACLE_RAMDISK_KB).toBe(DEFAULT_RAMDISK_KB);
  });

  it('refuses rollback --branch NEW with a message that says to use --name', async () => {
    const db = dbFor('rollback');
    expect((await cli(['sh', file('r.sh', FILL)], db)).status).toBe(0);
    const r = await cli(['rollback', '5', '--branch', 'what-if'], db);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no branch 'what-if' to roll back .*thinlab rollback 5 --name what-if/);
    expect((await cli(['branches', '--json'], db)).stdout).not.toContain('what-if');
  });
});

describe('thinlab sh exits with the script status', () => {
  const cases: Array<[string, string, number]> = [
    ['exit N', 'echo a\nexit 3\necho b\n', 3],
    ['a failing last command', 'echo a\nnosuchcommand\n', 127],
    ['a failure followed by a success', 'false\necho ok\n', 0],
    ['false at the end', 'true\nfalse\n', 1],
  ];
  for (const [what, script, status] of cases) {
    it(`${what}: ${status}, recorded or not, traced or not`, async () => {
      const path = file(`exit-${status}-${what.length}.sh`, script);
      for (const flags of [['--no-record'], ['--no-record', '--trace'], [], ['--trace']]) {
        const r = await cli(['sh', ...flags, path], dbFor(`exit-${what.length}-${flags.join('')}`));
        expect(r.status, `${what} ${flags.join(' ')}`).toBe(status);
      }
    });
  }

  it('records nothing after exit, as sh runs nothing after it', async () => {
    const db = dbFor('after-exit');
    await cli(['sh', file('after-exit.sh', 'echo a\nexit 4\necho b\n')], db);
    const log = JSON.parse((await cli(['log', '--json'], db)).stdout) as { length: number };
    expect(log.length).toBe(2);
  });
});

describe('positions mean commands', () => {
  const BARE =
    'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 2" && dmsetup mknodes\ndmsetup status pool\nnosuch\n';
  const COMMENTED =
    '# a pool\n\ndmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 2" && dmsetup mknodes\n# its status\n\ndmsetup status pool\n  # indented\nnosuch\n# the end\n';

  it('records the same events with and without comments and --trace', async () => {
    const runs: Array<{ descriptions: string[]; statuses: number[] }> = [];
    for (const [name, script] of [
      ['bare', BARE],
      ['commented', COMMENTED],
    ] as const) {
      for (const trace of [false, true]) {
        const db = dbFor(`positions-${name}-${trace}`);
        const r = await cli(['sh', ...(trace ? ['--trace'] : []), file(`${name}.sh`, script)], db);
        if (trace && name === 'commented') expect(r.stdout).toMatch(/^# a pool\n\n\$ dmsetup create pool/);
        const log = JSON.parse((await cli(['log', '--json'], db)).stdout) as {
          events: { description: string; event: { data: { status: number } } }[];
        };
        runs.push({
          descriptions: log.events.map((e) => e.description),
          statuses: log.events.map((e) => e.event.data.status),
        });
      }
    }
    expect(runs[0]!.descriptions).toHaveLength(3);
    for (const run of runs) expect(run).toEqual(runs[0]);
  });

  it('records no event for comments in whatif injections and scenario steps', async () => {
    const db = dbFor('positions-whatif');
    await cli(['sh', file('base.sh', BARE)], db);
    const injected = await cli(
      ['whatif', '--at', '1', '--inject', '# why: see the status\ndmsetup status pool\n# done', '--json'],
      db,
    );
    const outcome = JSON.parse(injected.stdout) as { injected: number; name: string; whatIfLength: number };
    expect(outcome.injected).toBe(1);
    expect(outcome.whatIfLength).toBe(4);
    const log = JSON.parse((await cli(['log', '--json', '--branch', outcome.name], db)).stdout) as {
      events: { description: string }[];
    };
    expect(log.events.map((e) => e.description).filter((d) => d.startsWith('#'))).toEqual([]);

    const only = await cli(['whatif', '--at', '1', '--inject', '# a note\n\n  # another'], db);
    expect(only.status).toBe(2);
    expect(only.stderr).toContain('--inject has only comments');

    const scenario = file(
      'commented.yaml',
      'title: comments in steps\nsteps:\n  - run: "# only a comment"\n  - run: |\n      # a pool\n      dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 2" && dmsetup mknodes\n',
    );
    const sdb = dbFor('positions-scenario');
    expect((await cli(['run', scenario], sdb)).status).toBe(0);
    const recorded = JSON.parse((await cli(['log', '--json'], sdb)).stdout) as { events: { description: string }[] };
    expect(recorded.events).toHaveLength(1);
    expect(recorded.events[0]!.description).toContain('dmsetup create pool');
  });

  it('keeps the line numbers of the whole script in the shell messages', async () => {
    const recorded = await cli(['sh', file('lines.sh', COMMENTED)], dbFor('lines'));
    expect(recorded.stdout).toContain('/scenario.sh: line 8: nosuch: not found');
    const plain = await cli(['sh', '--no-record', file('lines.sh', COMMENTED)], dbFor('lines'));
    expect(plain.stdout).toContain('/scenario.sh: line 8: nosuch: not found');
  });
});

describe('--json, against the text output', () => {
  const db = (): string => dbFor('json');
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked field by field below
  const both = async (args: string[]): Promise<{ text: string; json: any }> => {
    const text = await cli(args, db());
    const json = await cli([...args, '--json'], db());
    expect(text.status, args.join(' ')).toBe(json.status);
    return { text: text.stdout, json: JSON.parse(json.stdout) };
  };

  beforeAll(async () => {
    await cli(['sh', file('fill.sh', FILL)], db());
    await cli(['rollback', '4', '--name', 'bigger'], db());
    await cli(
      [
        'sh',
        '--continue',
        file(
          'grow.sh',
          'dmsetup reload pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space"\ndmsetup suspend pool\ndmsetup resume pool\n',
        ),
      ],
      db(),
    );
  });

  it('log', async () => {
    const { text, json } = await both(['log', '--branch', 'main']);
    expect(json.length).toBe(7);
    expect(text).toContain(`branch main, ${json.length} events`);
    for (const e of json.events)
      expect(text).toContain(
        `${String(e.position).padStart(6)}  ${(e.timeMs / 1000).toFixed(3).padStart(10)}s  ${e.description}\n`,
      );
    expect(json.events[5].event.data.status).toBe(1);
  });

  it('at', async () => {
    const { text, json } = await both(['at', '4', '--branch', 'main']);
    expect(
      text.startsWith(
        `main@4  time ${(json.timeMs / 1000).toFixed(3)}s  state ${json.state.slice(0, 16)}  stack ${json.stack} (Linux ${json.versions.kernel}, thin-provisioning-tools ${json.versions.thinProvisioningTools}, LVM ${json.versions.lvm})\n`,
      ),
    ).toBe(true);
    expect(json.devices.map((d: { name: string }) => d.name)).toEqual(['pool', 'thin']);
    for (const d of json.devices) expect(text).toContain(`  status: ${d.status}\n`);
    expect(json.devices[0].status).toMatch(/ 2\/4 - rw /);
    expect(json.lifecycle.pools.pool).toBe('write');
  });

  it('diff', async () => {
    const { text, json } = await both(['diff', 'main', 'bigger']);
    expect([json.left, json.right]).toEqual(['main@7', 'bigger@7']);
    const pool = json.pools.find((p: { name: string }) => p.name === 'pool');
    expect(text).toContain(`- ${pool.left}`);
    expect(text).toContain(`+ ${pool.right}`);
  });

  it('branches', async () => {
    const { text, json } = await both(['branches']);
    expect(json.head).toBe('bigger');
    for (const b of json.branches)
      expect(text).toMatch(new RegExp(`${b.head ? '\\*' : ' '} ${b.name} +${b.length} events`));
    expect(json.branches.find((b: { name: string }) => b.name === 'bigger')).toMatchObject({
      parent: 'main',
      forkPosition: 4,
      length: 7,
    });
  });

  it('bisect', async () => {
    const { text, json } = await both(['bisect', '--expect', 'pool_mode pool=write', '--branch', 'main']);
    expect(json.holds).toBe(false);
    expect(text).toContain(
      `first bad position ${json.bad.position}: ${json.bad.name} expected ${json.bad.expected}, got ${json.bad.actual}`,
    );
    expect(json.good.position).toBe(json.bad.position - 1);
    expect(json.bad.command).toMatch(/^dd if=\/patterns\/B/);
    // The page opens at the first bad position.
    expect(text).toMatch(
      new RegExp(
        `\nopen in the ui: thinlab ui --branch main --at ${json.bad.position}( --db \\S+)?  \\(page /\\?branch=main&pos=${json.bad.position}\\)\n$`,
      ),
    );
  });

  it('whatif', async () => {
    const r = await cli(['whatif', '--at', '3', '--inject', 'crash', '--branch', 'main', '--json'], db());
    const json = JSON.parse(r.stdout);
    const log = JSON.parse((await cli(['log', '--branch', json.name, '--json'], db())).stdout);
    expect(log.length).toBe(json.whatIfLength);
    // The text names the page at the first position that printed something else.
    const text = (await cli(['whatif', '--at', '3', '--inject', 'crash', '--branch', 'main', '--name', 'w-ui'], db()))
      .stdout;
    const first = json.firstDifference.whatIfPosition;
    expect(text).toContain(`first difference: main@${json.firstDifference.originalPosition} = w-ui@${first} `);
    expect(text).toMatch(
      new RegExp(
        `\nopen in the ui: thinlab ui --branch w-ui --at ${first}\\b.*\\(page /\\?branch=w-ui&pos=${first}\\)\n$`,
      ),
    );
  });

  it('run', async () => {
    const r = await cli(['run', '--no-record', '--json', 'scenarios/pool-full-queue-extend.yaml'], db());
    const json = JSON.parse(r.stdout);
    expect(r.status).toBe(json.passed ? 0 : 1);
    expect(json.scenarios).toHaveLength(1);
  });

  it('explain', async () => {
    const { text, json } = await both(['explain', 'device-mapper: thin: 253:0: switching pool to fail mode']);
    expect(json.known).toBe(true);
    expect(text).toContain(`what it means: ${json.meaning}`);
    for (const s of json.scenarios) expect(text).toContain(s.title);
  });

  it('prop', async () => {
    const r = await cli(['prop', '--runs', '5', '--seed', '3', '--json'], db());
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ seed: 3, runs: 5, passed: true, failure: null });
    expect(json.coverage.sequences).toBe(5);
  });
});
