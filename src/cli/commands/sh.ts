import type { CommandSpec } from '../command-spec.js';
import { UsageError } from '../output.js';
import { STACK_HELP, STACK_OPTION, stackArg } from './common.js';
import { ORACLE_RAMDISK_KB, parseRamdiskKb, RAMDISK_PRESETS } from '../ramdisk-presets.js';

export const command: CommandSpec = {
  name: 'sh',
  help: `usage: thinlab sh [options] [SCRIPT [FILE...]]
Runs a script (standard input when no SCRIPT or '-') on a fresh lab machine shaped like the
kernel oracle VM and records it as a new branch, one event per command (comments are not
events). Exits with the script's status, as sh does: its \`exit N\`, else its last command's.
  --trace           show each command as '$ command' before its output
  --branch NAME     name the new branch (default: main, then run-2, run-3, ...)
  --continue        go on from the end of the head branch (or --branch) instead
  --no-record       do not touch the database; FILEs are placed at /files/<name> as the oracle does
  --attach FILE:/dev/ramN  a host image on a RAM disk before the script runs (recorded with the branch)
  --max-steps N     commands one top-level command may run before the lab stops the script
                    (status 124; default 10000000; with --no-record only: a history replays with the default)
${STACK_HELP.trimEnd()}
                    (with --continue: the branch's own, which is recorded with it)
  --ramdisk-kb N    size of /dev/ram0 and /dev/ram1 in KiB (default ${ORACLE_RAMDISK_KB}), or a preset:
                    ${Object.entries(RAMDISK_PRESETS)
                      .map(([k, v]) => `${k} (${v})`)
                      .join(', ')}
examples:
  echo 'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup status' | thinlab sh --no-record
  thinlab sh --trace --ramdisk-kb docker-demo setup.sh
  thinlab sh --stack debian13 fixtures/kernel/02-pool-features.sh
`,
  options: {
    trace: { type: 'boolean' },
    branch: { type: 'string' },
    continue: { type: 'boolean' },
    'no-record': { type: 'boolean' },
    'ramdisk-kb': { type: 'string' },
    attach: { type: 'string' },
    'max-steps': { type: 'string' },
    ...STACK_OPTION,
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(ctx) {
    const { readScript, readExtraFiles, runUnrecorded } = await import('../sh-command.js');
    const ramdiskKb = parseRamdiskKb(ctx.string('ramdisk-kb'));
    const stack = stackArg(ctx);
    const [file, ...extra] = ctx.positionals;
    const script = readScript(file);
    const trace = ctx.flag('trace');
    // Commands typed at a terminal run as at ash's prompt (an error loses that command only); a
    // script file, or a script piped in, runs as `sh FILE` runs it.
    const interactive = (file === undefined || file === '-') && process.stdin.isTTY === true;
    const attachSpec = ctx.string('attach');
    const attach = attachSpec === undefined ? undefined : (await import('./attach.js')).readAttach(attachSpec);
    const maxSteps = parseMaxSteps(ctx.string('max-steps'), ctx.flag('no-record'));
    if (ctx.flag('no-record'))
      return runUnrecorded(
        script,
        {
          ramdiskKb,
          ...stack,
          trace,
          interactive,
          files: readExtraFiles(extra),
          ...(attach === undefined ? {} : { attach }),
          ...(maxSteps === undefined ? {} : { maxSteps }),
        },
        ctx.io,
      );
    if (extra.length > 0)
      throw new UsageError('files for /files (sh SCRIPT FILE...) are not recorded in the history yet: add --no-record');
    const { recordScript } = await import('../history-commands.js');
    const branch = ctx.string('branch');
    const r = await ctx.withHistory(
      (h) =>
        recordScript(
          h,
          script,
          {
            ...(branch === undefined ? {} : { branch }),
            ...(attach === undefined ? {} : { attach }),
            continueBranch: ctx.flag('continue'),
            interactive,
            ramdiskKb,
            ...stack,
            trace,
          },
          ctx.io,
        ),
      ctx.flag('continue') ? 'write-existing' : 'write',
    );
    // On stderr, so that the script's own output on stdout stays the script's.
    ctx.io.err(`recorded ${r.recorded} events as branch ${r.branch}\n`);
    return r.status;
  },
};

/** `--max-steps N`: the shell's step budget (docs/shell.md, "Limits"); undefined for the default. */
function parseMaxSteps(text: string | undefined, unrecorded: boolean): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(text))
    throw new UsageError(`--max-steps needs a positive number of commands, got '${text}'`);
  // A history replays with the default budget, so a recording made with another could not be replayed.
  if (!unrecorded)
    throw new UsageError('--max-steps is not recorded in the history (replay uses the default): add --no-record');
  return Number(text);
}
