/**
 * The thinlab command line: the only place that reads argv, the environment and files, and the
 * only place that picks a store adapter. It loads nothing but the chosen command's module: each
 * command (src/cli/commands/) declares its options and imports what it needs when it runs, so
 * that `thinlab --help` and `thinlab log` start in about the time node itself takes.
 */
import { COMMON_HELP, commandContext, parseCommandArgs } from './command-spec.js';
import { COMMANDS, RAW_ARGUMENT_COMMANDS, THIN_TOOL_COMMANDS } from './commands/index.js';
import { type Output, UsageError } from './output.js';
import { USAGE } from './usage.js';

/**
 * Everything is written synchronously to the file descriptors, in order: stdout and stderr of a
 * pipe or file are then never reordered or repeated when the process ends, whatever the stream
 * implementation buffers.
 */
const io: Output = {
  out: (text) => process.stdout.write(Buffer.from(text, 'latin1')),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

/** Options given before the command (`thinlab --db x log`) go after it, where its parser reads them. */
function commandFirst(argv: readonly string[]): string[] {
  const lead: string[] = [];
  let i = 0;
  while ((argv[i] === '--db' || argv[i] === '--store') && i + 1 < argv.length) lead.push(argv[i++]!, argv[i++]!);
  return [...argv.slice(i, i + 1), ...lead, ...argv.slice(i + 1)];
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = commandFirst(argv);
  if (name === undefined) {
    io.err(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (THIN_TOOL_COMMANDS.includes(name)) {
    const { toolCommand } = await import('./tool-command.js');
    return toolCommand(name, rest, io);
  }
  const load = COMMANDS[name];
  if (load === undefined) throw new UsageError(`unknown command '${name}' (thinlab --help lists them)`);
  const { command } = await load();
  if (RAW_ARGUMENT_COMMANDS.has(name))
    return command.run(commandContext({ positionals: rest, values: {} }, io, process.env.THINLAB_STORE));
  const parsed = parseCommandArgs(command, rest);
  if (parsed.values.help === true) {
    io.out(`${command.help}\n${COMMON_HELP}`);
    return 0;
  }
  return command.run(commandContext(parsed, io, process.env.THINLAB_STORE));
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
