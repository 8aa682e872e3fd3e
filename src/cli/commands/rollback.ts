import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg } from './common.js';

export const command: CommandSpec = {
  name: 'rollback',
  help: `usage: thinlab rollback POS [--name NEW] [--branch FROM]
Starts a new branch from position POS of FROM (the head by default) and makes it the head. Nothing
is deleted: FROM keeps all its events.
  --name NEW      the new branch's name (default FROM-at-POS)
  --branch FROM   the branch to roll back, when not the head (it must exist: the new name is --name)
example:
  thinlab rollback 13 --name what-if
`,
  options: { ...BRANCH_OPTION, name: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const { rollbackCommand } = await import('../history-commands.js');
    const name = ctx.string('name');
    await ctx.withHistory(
      (h) =>
        rollbackCommand(
          h,
          { ...branchArg(ctx), position: ctx.positionals[0], ...(name === undefined ? {} : { name }) },
          ctx.io,
        ),
      'write-existing',
    );
    return 0;
  },
};
