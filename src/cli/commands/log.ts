import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg, JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'log',
  help: `usage: thinlab log [--full] [--branch NAME] [--json]
The events of a branch (the head unless --branch), one line per command: position, lab time, command.
  --full          the operations beneath each command and what it printed
  --branch NAME   another branch than the head
  --json          {branch, parent, forkPosition, length, events: [{position, timeMs, description, event}]}
example:
  thinlab log --branch docker-demo --full
`,
  options: { ...BRANCH_OPTION, ...JSON_OPTION, full: { type: 'boolean' } },
  maxPositionals: 0,
  async run(ctx) {
    const { logCommand } = await import('../log-command.js');
    await ctx.withHistory(
      (h) => logCommand(h, { ...branchArg(ctx), full: ctx.flag('full'), json: ctx.flag('json') }, ctx.io),
      'read',
    );
    return 0;
  },
};
