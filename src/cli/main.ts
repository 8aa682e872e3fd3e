/**
 * The thinlab command line: the only place that reads argv, the environment and files, and the
 * only place that picks a store adapter.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RAMDISK_KB } from '../lab/lab.js';
import { LabShell } from '../lab/lab-shell.js';
import { History } from '../replay/history.js';
import { DEFAULT_MAX_STEPS } from '../shell/interp.js';
import type { EventStore } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { THIN_TOOL_NAMES } from '../tools/index.js';
import { runDockerDemo } from './docker-demo.js';
import {
  atCommand,
  branchesCommand,
  checkoutCommand,
  diffCommand,
  logCommand,
  type Output,
  recordScript,
  replayCommand,
  rollbackCommand,
  UsageError,
  whatIfCommand,
} from './history-commands.js';
import { PROP_USAGE, propCommand } from './prop-command.js';
import { bisectCommand, explainCommand, runScenariosCommand } from './scenario-commands.js';
import { topLevelCommands } from './shell-adapter.js';
import { toolCommand } from './tool-command.js';
import { whyCommand } from './why-command.js';

const USAGE = `usage: thinlab <command> [options]

running a lab
  sh [SCRIPT [FILE...]]     run a script (standard input when no SCRIPT or '-') on a fresh lab machine
                            shaped like the kernel oracle VM and record it as a new branch; FILEs are
                            placed at /files/<name> as the oracle does (with --no-record)
     --trace                show each command as '$ command' before its output
     --branch NAME          name the new branch (default: main, then run-2, run-3, ...)
     --continue             go on from the end of the head branch (or --branch) instead
     --no-record            do not touch the database
     --ramdisk-kb N         size of /dev/ram0 and /dev/ram1 (default ${DEFAULT_RAMDISK_KB})
     --max-steps N          commands one top-level command may run before the lab stops the script
                            (status 124; default ${DEFAULT_MAX_STEPS}; with --no-record only)
  demo                      Docker on a direct-lvm thin pool: set up, fill, fail, recover, roll back
                            (demo/docker-devicemapper.sh, 512 MiB RAM disks)
  demo tour                 record the tour of a thin pool's life (scenarios/tour.sh)

time travel (on the head branch unless --branch NAME)
  why NAME [POS]            a Docker image or container: its thin devices, blocks, what it shares
                            with whom, and what removing it would give back (and why not more)
  log [--full]              the events of the branch, with outputs when --full
  at POS                    every device's table and status after POS events, and the lifecycle
  rollback POS [--name N]   start a new branch from POS and make it the head (deletes nothing)
  branches                  list the branches; * marks the head
  checkout BRANCH           make BRANCH the head
  diff A B                  compare two moments: POS, BRANCH or BRANCH@POS
  whatif --at POS --inject LINE [--name N] [--json]  the branch again with LINE (a fault, crash, any
                            command) inserted after POS, on a new branch; prints the first
                            output that differs, the pool modes on both, and data that reads back
                            differently at the end
  replay                    rebuild the branch from its first event, checking each one

scenarios (docs/scenarios.md)
  run FILE...               run scenario files (.yaml, or .sh with .expected), record each as a
                            branch; exit 0 all pass, 1 a check failed, 2 a file is invalid
     --json                 a machine-readable result      --no-record   do not touch the database
  bisect --expect EXPR [POS]  the first position (up to POS) where EXPR stops holding, e.g.
                            'pool_mode pool=write', 'used_data_blocks pool<8', 'invariants'
  bisect --invariant NAME [POS]  the same for a named invariant: pool, writable, no-needs-check,
                            free-data-space, free-metadata-space, no-queued-io, no-leaked-blocks, committed

thin-provisioning-tools 0.9.0 on metadata images (docs/tools.md)
  thin_check | thin_dump | thin_restore | thin_repair | thin_ls | thin_delta | thin_rmap |
  thin_trim | thin_metadata_size  [their own options] FILE   the lab's tools on a host file, with
                            the real tools' options, output and exit status; outputs are written back

explaining a symptom
  explain SYMPTOM           a kernel log line, a dmsetup status line or a Docker error: the pool
                            state it means and the scenarios that reproduce it (--json; --scenarios DIR)

property tests (docs/property-tests.md)
  prop [--runs N] [--seed S] [--minutes M] [--mutate NAME]   random command sequences against the
                            model and a reference model; a failure is shrunk and written as a
                            scenario file (thinlab prop --help for every option)

where the history lives
  --db PATH                 a SQLite file (default ./thinlab.db)
  --store URL               sqlite:PATH or kurrentdb://host:port?tls=false (or THINLAB_STORE)
`;

interface Parsed {
  readonly command: string | undefined;
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  '--db',
  '--store',
  '--branch',
  '--ramdisk-kb',
  '--max-steps',
  '--name',
  '--expect',
  '--invariant',
  '--at',
  '--inject',
  '--scenarios',
]);
const BOOLEAN_FLAGS = new Set(['--trace', '--continue', '--no-record', '--full', '--help', '-h', '--json']);

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_FLAGS.has(a)) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags.set(a, v);
    } else if (BOOLEAN_FLAGS.has(a)) flags.set(a, true);
    else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    else if (command === undefined) command = a;
    else positional.push(a);
  }
  return { command, positional, flags };
}

const stringFlag = (p: Parsed, name: string): string | undefined => {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
};

const io: Output = {
  out: (text) => process.stdout.write(Buffer.from(text, 'latin1')),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

/** The database as the user named it (` --db PATH`), so the commands printed can be pasted as they are. */
function whereFlag(p: Parsed): string {
  return stringFlag(p, '--store') !== undefined
    ? ` --store ${stringFlag(p, '--store')}`
    : stringFlag(p, '--db') !== undefined
      ? ` --db ${stringFlag(p, '--db')}`
      : '';
}

function storeUrl(p: Parsed): string {
  return (
    stringFlag(p, '--store') ??
    (stringFlag(p, '--db') !== undefined ? `sqlite:${stringFlag(p, '--db')}` : undefined) ??
    process.env.THINLAB_STORE ??
    'sqlite:thinlab.db'
  );
}

function ramdiskKb(p: Parsed): number {
  const v = stringFlag(p, '--ramdisk-kb');
  if (v === undefined) return DEFAULT_RAMDISK_KB;
  if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--ramdisk-kb needs a positive number of KiB, got '${v}'`);
  return Number(v);
}

/** `--max-steps N`: the shell's step budget (docs/shell.md, "Limits"); undefined for the default. */
function maxSteps(p: Parsed): number | undefined {
  const v = stringFlag(p, '--max-steps');
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(v))
    throw new UsageError(`--max-steps needs a positive number of commands, got '${v}'`);
  // A history replays with the default budget, so a recording made with another could not be replayed.
  if (!p.flags.has('--no-record'))
    throw new UsageError('--max-steps is not recorded in the history (replay uses the default): add --no-record');
  return Number(v);
}

function readScript(file: string | undefined): string {
  try {
    return readFileSync(file === undefined || file === '-' ? 0 : file, 'latin1');
  } catch (e) {
    throw new UsageError(
      `cannot read ${file ?? 'standard input'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

async function withHistory<T>(p: Parsed, run: (h: History) => Promise<T>): Promise<T> {
  let store: EventStore | null = null;
  try {
    store = await openStore(storeUrl(p));
    return await run(new History(store));
  } finally {
    await store?.close();
  }
}

async function main(argv: string[]): Promise<number> {
  // The thin tools parse their own options, as 0.9.0 does.
  if (argv[0] !== undefined && THIN_TOOL_NAMES.includes(argv[0])) return toolCommand(argv[0], argv.slice(1), io);
  if (argv[0] === 'prop')
    return argv.includes('--help') || argv.includes('-h') ? (io.out(PROP_USAGE), 0) : propCommand(argv.slice(1), io);
  const p = parseArgs(argv);
  if (p.flags.has('--help') || p.flags.has('-h')) {
    io.out(USAGE);
    return 0;
  }
  const branch = stringFlag(p, '--branch');
  switch (p.command) {
    case 'sh':
    case 'demo': {
      if (p.command === 'demo' && p.positional[0] !== 'tour') {
        if (p.positional.length > 0)
          throw new UsageError(`unknown demo '${p.positional[0]!}' (the demos are: thinlab demo, thinlab demo tour)`);
        const demo = readScript(fileURLToPath(new URL('../../demo/docker-devicemapper.sh', import.meta.url)));
        const r = await withHistory(p, (h) => runDockerDemo(h, demo, io));
        io.err(
          `\nrecorded as branch '${r.branch}', and '${r.branch}-before-full' from event ${r.before}. Next:\n  npx thinlab log --branch ${r.branch}\n  npx thinlab diff ${r.branch}@${r.before} ${r.branch}\n`,
        );
        return 0;
      }
      const file =
        p.command === 'demo' ? fileURLToPath(new URL('../../scenarios/tour.sh', import.meta.url)) : p.positional[0];
      const script = readScript(file);
      const trace = p.command === 'demo' || p.flags.has('--trace');
      const extra = p.command === 'sh' ? p.positional.slice(1) : [];
      if (p.flags.has('--no-record')) {
        runUnrecorded(script, { ramdiskKb: ramdiskKb(p), maxSteps: maxSteps(p) }, trace, readExtraFiles(extra));
        return 0;
      }
      if (extra.length > 0) {
        throw new UsageError(
          'files for /files (sh SCRIPT FILE...) are not recorded in the history yet: add --no-record',
        );
      }
      maxSteps(p);
      const result = await withHistory(p, (h) =>
        recordScript(
          h,
          script,
          {
            ...(branch === undefined ? {} : { branch }),
            ...(p.command === 'demo' ? { baseName: 'tour' } : {}),
            continueBranch: p.flags.has('--continue'),
            ramdiskKb: ramdiskKb(p),
            trace,
          },
          io,
        ),
      );
      if (p.command === 'demo') {
        io.err(
          `\nrecorded as branch '${result.branch}' (${result.length} events) in ${storeUrl(p).replace(/^sqlite:/, '')}. Next:\n` +
            `  npx thinlab log                  the history, one line per command\n` +
            `  npx thinlab at 11                every device after step 5 (sharing broken)\n` +
            `  npx thinlab diff 13 22           what filling, growing and deleting changed\n` +
            `  npx thinlab rollback 13 --name what-if   branch off just before the pool filled,\n` +
            `  npx thinlab sh --continue my-fix.sh      then try another way out from there\n`,
        );
      }
      return 0;
    }
    case 'why':
      return withHistory(p, (h) =>
        whyCommand(
          h,
          { ...(branch === undefined ? {} : { branch }), name: p.positional[0], position: p.positional[1] },
          io,
        ),
      );
    case 'log':
      await withHistory(p, (h) =>
        logCommand(h, { ...(branch === undefined ? {} : { branch }), full: p.flags.has('--full') }, io),
      );
      return 0;
    case 'at':
      await withHistory(p, (h) =>
        atCommand(h, { ...(branch === undefined ? {} : { branch }), position: p.positional[0] }, io),
      );
      return 0;
    case 'rollback': {
      const name = stringFlag(p, '--name');
      await withHistory(p, (h) =>
        rollbackCommand(
          h,
          {
            ...(branch === undefined ? {} : { branch }),
            position: p.positional[0],
            ...(name === undefined ? {} : { name }),
          },
          io,
        ),
      );
      return 0;
    }
    case 'branches':
      await withHistory(p, (h) => branchesCommand(h, io));
      return 0;
    case 'checkout':
      await withHistory(p, (h) => checkoutCommand(h, { branch: p.positional[0] ?? branch }, io));
      return 0;
    case 'diff':
      await withHistory(p, (h) =>
        diffCommand(h, { ...(branch === undefined ? {} : { branch }), a: p.positional[0], b: p.positional[1] }, io),
      );
      return 0;
    case 'replay':
      await withHistory(p, (h) => replayCommand(h, branch === undefined ? {} : { branch }, io));
      return 0;
    case 'explain': {
      // The library of this checkout, found from the code like the demo's script, so the symptoms
      // are matched against the scenarios that ship with it.
      const library = stringFlag(p, '--scenarios') ?? fileURLToPath(new URL('../../scenarios', import.meta.url));
      return explainCommand({ symptom: p.positional.join(' '), library, json: p.flags.has('--json') }, io);
    }
    case 'whatif': {
      const where = whereFlag(p);
      const at = stringFlag(p, '--at');
      const inject = stringFlag(p, '--inject');
      const name = stringFlag(p, '--name');
      await withHistory(p, (h) =>
        whatIfCommand(
          h,
          {
            ...(branch === undefined ? {} : { branch }),
            ...(at === undefined ? {} : { at }),
            ...(inject === undefined ? {} : { inject }),
            ...(name === undefined ? {} : { name }),
            where,
            json: p.flags.has('--json'),
          },
          io,
        ),
      );
      return 0;
    }
    case 'run':
    case 'bisect': {
      // The database as the user named it, so the commands printed can be pasted as they are.
      const where = whereFlag(p);
      if (p.command === 'run') {
        return runScenariosCommand(
          {
            files: p.positional,
            json: p.flags.has('--json'),
            record: !p.flags.has('--no-record'),
            ...(branch === undefined ? {} : { branch }),
            where,
          },
          (run) => withHistory(p, run),
          io,
        );
      }
      const expect = stringFlag(p, '--expect');
      const invariant = stringFlag(p, '--invariant');
      const end = p.positional[0];
      return withHistory(p, (h) =>
        bisectCommand(
          h,
          {
            ...(expect === undefined ? {} : { expect }),
            ...(invariant === undefined ? {} : { invariant }),
            ...(end === undefined ? {} : { end }),
            ...(branch === undefined ? {} : { branch }),
            where,
          },
          io,
        ),
      );
    }
    case undefined:
      io.out(USAGE);
      return 2;
    default:
      throw new UsageError(`unknown command '${p.command}' (thinlab --help lists them)`);
  }
}

/** Files given after the script are placed at /files/<name>, as the kernel oracle does. */
function readExtraFiles(paths: readonly string[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const path of paths) {
    try {
      files.set(path.slice(path.lastIndexOf('/') + 1), new Uint8Array(readFileSync(path)));
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return files;
}

function runUnrecorded(
  script: string,
  machine: { ramdiskKb: number; maxSteps: number | undefined },
  trace: boolean,
  files: ReadonlyMap<string, Uint8Array>,
): void {
  const shell = new LabShell({
    ramdiskKb: machine.ramdiskKb,
    files,
    ...(machine.maxSteps === undefined ? {} : { maxSteps: machine.maxSteps }),
  });
  if (!trace) {
    io.out(shell.runScript(script));
    return;
  }
  for (const command of topLevelCommands(shell, script)) {
    if (command.trim().startsWith('#')) io.out(`${command}\n`);
    else {
      io.out(`$ ${command}\n`);
      io.out(shell.runLine(command));
    }
  }
}

// `thinlab log | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as { code?: string; message?: string; name?: string };
    // Expected failures carry a code (store, history, decode, usage): one line, exit 1 (2 for usage).
    if (e instanceof UsageError) {
      io.err(`thinlab: ${err.message}\n`);
      process.exitCode = 2;
    } else if (typeof err.code === 'string') {
      io.err(`thinlab: ${err.message} [${err.code}]\n`);
      process.exitCode = 1;
    } else {
      io.err(`thinlab: internal error: ${err.name ?? 'Error'}: ${err.message ?? String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
