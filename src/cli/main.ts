/**
 * The thinlab command line: the only place that reads argv, the environment and files, and the
 * only place that picks a store adapter. It loads nothing but the chosen command's module: each
 * command (src/cli/commands/) declares its options and imports what it needs when it runs, so
 * that `thinlab --help` and `thinlab log` start in about the time node itself takes.
 */
import type { Output } from './output.js';
import { runCli } from './run-cli.js';

const io: Output = {
  out: (text) => process.stdout.write(Buffer.from(text, 'latin1')),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

// `thinlab log | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// The exit status is set, not forced with process.exit(), so that everything written is flushed
// first. No top-level await: the CLI's bundles are CommonJS (scripts/bundle.mjs).
void runCli(process.argv.slice(2), io, process.env.THINLAB_STORE, process.env.THINLAB_STACK).then((status) => {
  process.exitCode = status;
});
