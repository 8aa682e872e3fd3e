import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg } from './common.js';

export const command: CommandSpec = {
  name: 'replay',
  help: `usage: thinlab replay [--branch NAME]
Rebuilds the branch from its first event, checking that every event gives the recorded outcome.
example:
  thinlab replay --branch main
`,
  options: { ...BRANCH_OPTION },
  maxPositionals: 0,
  async run(ctx) {
    const { replayCommand } = await import('../history-commands.js');
    await ctx.withHistory((h) => replayCommand(h, branchArg(ctx), ctx.io), 'read');
    return 0;
  },
};
