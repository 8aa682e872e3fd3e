import type { CommandSpec } from '../command-spec.js';
import { JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'branches',
  help: `usage: thinlab branches [--json]
The branches of the history with their lengths and where each was forked; * marks the head.
  --json          {head, branches: [{name, head, length, parent, forkPosition}]}
example:
  thinlab branches
`,
  options: { ...JSON_OPTION },
  maxPositionals: 0,
  async run(ctx) {
    const { branchesCommand } = await import('../history-commands.js');
    await ctx.withHistory((h) => branchesCommand(h, { json: ctx.flag('json') }, ctx.io));
    return 0;
  },
};
