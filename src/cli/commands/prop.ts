import type { CommandSpec } from '../command-spec.js';

/**
 * `thinlab prop` parses its own options (src/cli/prop-command.ts, one table with checked values),
 * so its spec takes the raw arguments; main.ts hands them over untouched.
 */
export const command: CommandSpec = {
  name: 'prop',
  help: '',
  options: {},
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(ctx) {
    const { propCommand } = await import('../prop-command.js');
    return propCommand(ctx.positionals, ctx.io, Date.now, ctx.stack());
  },
};
