/**
 * The thinlab command line without the process: arguments in, text out through `io`, the exit
 * status back. main.ts gives it the process's argv, streams and environment; tests call it directly.
 */
import { COMMON_HELP, commandContext, parseCommandArgs } from './command-spec.js';
import { commandFirst, isThinTool } from './command-route.js';
import { COMMANDS, RAW_ARGUMENT_COMMANDS } from './commands/index.js';
import { type Output, UsageError } from './output.js';
import { USAGE } from './usage.js';
import { isStackId, STACK_IDS } from '../model/stack.js';

/** What the CLI read from the environment: THINLAB_STORE and THINLAB_STACK. */
interface CliEnv {
  readonly store: string | undefined;
  readonly stack: string | undefined;
}

/** A thin tool on host files, on the stack given (`--stack`, else THINLAB_STACK, else debian12). */
async function runTool(tool: string, args: readonly string[], io: Output, stack: string | undefined): Promise<number> {
  if (stack !== undefined && !isStackId(stack))
    throw new UsageError(`unknown stack '${stack}' (known: ${STACK_IDS.join(', ')})`);
  const { toolCommand } = await import('./tool-command.js');
  return toolCommand(tool, args, io, stack);
}

async function dispatch(argv: readonly string[], io: Output, env: CliEnv): Promise<number> {
  const [name, ...rest] = commandFirst(argv);
  if (name === undefined) {
    io.err(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (name === '--stack' || name.startsWith('--stack=')) {
    // `thinlab --stack debian13 thin_check FILE`: the stack of a tool run on host files.
    const value = name === '--stack' ? rest[0] : name.slice('--stack='.length);
    const [tool, ...toolArgs] = name === '--stack' ? rest.slice(1) : rest;
    if (value === undefined || tool === undefined || !isThinTool(tool))
      throw new UsageError(
        '--stack before the command is for the thin tools: thinlab --stack debian13 thin_check FILE',
      );
    return runTool(tool, toolArgs, io, value);
  }
  if (isThinTool(name)) return runTool(name, rest, io, env.stack);
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) throw new UsageError(`unknown command '${name}' (thinlab --help lists them)`);
  const { command } = await load();
  if (RAW_ARGUMENT_COMMANDS.has(name))
    return command.run(commandContext({ positionals: rest, values: {} }, io, env.store, env.stack));
  const parsed = parseCommandArgs(command, rest);
  if (parsed.values.help === true) {
    io.out(`${command.help}\n${COMMON_HELP}`);
    return 0;
  }
  return command.run(commandContext(parsed, io, env.store, env.stack));
}

/**
 * Runs one command line and returns its exit status. Expected failures carry a code (store,
 * history, decode) and are one line on stderr with exit 1; bad input is exit 2; anything else is
 * a broken invariant, reported as an internal error with exit 70.
 */
export async function runCli(
  argv: readonly string[],
  io: Output,
  envStore: string | undefined,
  envStack?: string,
): Promise<number> {
  try {
    return await dispatch(argv, io, { store: envStore, stack: envStack });
  } catch (e) {
    const err = e as { code?: string; message?: string; name?: string };
    if (e instanceof UsageError) {
      io.err(`thinlab: ${err.message}\n`);
      return 2;
    }
    if (typeof err.code === 'string') {
      io.err(`thinlab: ${err.message} [${err.code}]\n`);
      return 1;
    }
    io.err(`thinlab: internal error: ${err.name ?? 'Error'}: ${err.message ?? String(e)}\n`);
    return 70;
  }
}
