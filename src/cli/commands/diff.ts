import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg, JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'diff',
  help: `usage: thinlab diff A B [--branch NAME] [--json]
Compares two moments, each a position of the branch (POS), the end of a branch (BRANCH) or a
position of a branch (BRANCH@POS): pools' modes and counters, thin devices' blocks, devices.
  --branch NAME   the branch a bare POS is on, when not the head
  --json          {left, right, pools: [{name, left, right}], thins: [{key, leftMapped, rightMapped,
                  leftOnly, rightOnly, different, same}], devicesLeft, devicesRight}
example:
  thinlab diff 13 22
`,
  options: { ...BRANCH_OPTION, ...JSON_OPTION },
  maxPositionals: 2,
  async run(ctx) {
    const { diffCommand } = await import('../state-commands.js');
    const [a, b] = ctx.positionals;
    await ctx.withHistory((h) => diffCommand(h, { ...branchArg(ctx), a, b, json: ctx.flag('json') }, ctx.io), 'read');
    return 0;
  },
};
