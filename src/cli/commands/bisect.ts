import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg, JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'bisect',
  help: `usage: thinlab bisect (--expect EXPR | --invariant NAME) [POS] [--branch NAME] [--json]
The first position (up to POS, the end of the branch by default) where EXPR or the named invariant
stops holding, with the last good and first bad states side by side.
  --expect EXPR     'pool_mode POOL=write', 'used_data_blocks POOL<8', 'invariants', ...
  --invariant NAME  pool, writable, no-needs-check, free-data-space, free-metadata-space,
                    no-queued-io, no-leaked-blocks, committed
  --branch NAME     another branch than the head
  --json            {branch, check, holds, length, statesLooked, good, bad} (good and bad:
                    {position, command, name, expected, actual, passed})
example:
  thinlab bisect --expect 'pool_mode docker-thinpool=write' --branch docker-demo
`,
  options: { ...BRANCH_OPTION, ...JSON_OPTION, expect: { type: 'string' }, invariant: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const { bisectCommand } = await import('../scenario-commands.js');
    const expect = ctx.string('expect');
    const invariant = ctx.string('invariant');
    const end = ctx.positionals[0];
    return ctx.withHistory(
      (h) =>
        bisectCommand(
          h,
          {
            ...(expect === undefined ? {} : { expect }),
            ...(invariant === undefined ? {} : { invariant }),
            ...(end === undefined ? {} : { end }),
            ...branchArg(ctx),
            where: ctx.where,
            json: ctx.flag('json'),
          },
          ctx.io,
        ),
      'read',
    );
  },
};
