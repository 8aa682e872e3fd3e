import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg, JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'at',
  help: `usage: thinlab at POS [--branch NAME] [--json]
Every device's table and status after POS events of the branch, and the lifecycle machines' states.
  --branch NAME   another branch than the head
  --json          {branch, position, timeMs, state, devices: [{name, state, openCount, eventNr, table, status}],
                  lifecycle: {pools, thins}, summary: Docker, containerd and LVM (docs/events.md)}
example:
  thinlab at 11
`,
  options: { ...BRANCH_OPTION, ...JSON_OPTION },
  maxPositionals: 1,
  async run(ctx) {
    const { atCommand } = await import('../state-commands.js');
    await ctx.withHistory(
      (h) => atCommand(h, { ...branchArg(ctx), position: ctx.positionals[0], json: ctx.flag('json') }, ctx.io),
      'read',
    );
    return 0;
  },
};
