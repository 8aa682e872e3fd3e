/**
 * LVM's metadata check before it activates a thin pool, as lvm2 2.03.16 runs it
 * (`_thin_pool_callback`, lib/activate/dev_manager.c): it forks and execs
 * `thin_check_executable` with `thin_check_options` and the metadata device. An empty executable
 * turns the check off. When the program is missing, the child prints execvp's error and exits
 * with errno (2), so the pool fails its check with status 2 (catalogue entry 23).
 */
import { notModelled } from '../lab/command-errors.js';
import type { ShellContext } from '../lab/context.js';
import { packagedProgram } from '../lab/host/programs.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import { runThinTool } from '../tools/index.js';
import { thinCheckConfig } from './lvm-conf.js';

/** ENOENT, the status the child exits with when execvp finds no program. */
const EXECVP_ENOENT_STATUS = 2;

/** The check's exit status and what it printed (LVM shows it when the check fails); null when the check is off. */
export function runPoolThinCheck(ctx: ShellContext, metadataPath: string): { status: number; text: string } | null {
  const { executable, options } = thinCheckConfig(ctx.fs);
  if (executable === '') return null;
  return execThinTool(ctx, 'thin_check', executable, [...options, metadataPath]);
}

/**
 * LVM's exec of one of the thin tools at the path lvm.conf gives (`thin_check_executable`,
 * `thin_repair_executable`): its exit status and what it printed. A missing program is execvp's
 * ENOENT; another program at that path is not something the lab can run, and says so.
 */
export function execThinTool(
  ctx: ShellContext,
  tool: 'thin_check' | 'thin_repair',
  executable: string,
  args: readonly string[],
): { status: number; text: string } {
  const program = packagedProgram(ctx.fs, executable);
  if (program === null && ctx.fs.get(executable) !== undefined)
    throw notModelled(`running ${executable} as ${tool}_executable (the lab runs /usr/sbin/${tool})`);
  if (program === null || !program.present)
    return { status: EXECVP_ENOENT_STATUS, text: `  ${executable}: execvp failed: No such file or directory\n` };
  if (program.name !== tool)
    throw notModelled(`running ${executable} as ${tool}_executable (the lab runs /usr/sbin/${tool})`);
  let text = '';
  const io: CommandIo = {
    stdin: new Uint8Array(0),
    out: (b) => {
      text += typeof b === 'string' ? b : latin1Text(b);
    },
    err: (t) => {
      text += t;
    },
  };
  const status = runThinTool(tool, ctx, args, io) ?? 0;
  return { status, text };
}
