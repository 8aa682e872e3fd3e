import type { CommandSpec } from '../command-spec.js';

export const command: CommandSpec = {
  name: 'checkout',
  help: `usage: thinlab checkout BRANCH
Makes BRANCH the head: the branch log, at, diff, sh --continue ... work on by default.
example:
  thinlab checkout main
`,
  options: { branch: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const { checkoutCommand } = await import('../history-commands.js');
    const branch = ctx.positionals[0] ?? ctx.string('branch');
    await ctx.withHistory((h) => checkoutCommand(h, branch === undefined ? {} : { branch }, ctx.io), 'write-existing');
    return 0;
  },
};
