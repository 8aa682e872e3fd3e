import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg, JSON_OPTION, STACK_OPTION, stackFlag } from './common.js';

export const command: CommandSpec = {
  name: 'whatif',
  help: `usage: thinlab whatif --at POS --inject LINE [--name NEW] [--branch NAME] [--json]
The branch again with LINE (a fault, crash, any command) inserted after position POS, on a new
branch: the first output that differs, the pool modes on both, and data that reads back differently.
  --at POS        where to insert
  --inject LINE   what to insert (lines separated by newlines or ';')
  --name NEW      the new branch's name (default BRANCH-whatif-POS)
  --expect EXPR / --invariant NAME   follow a check (bisect's forms) on both branches: where it
                  first fails on each, and whether it holds at the end
  --stack NAME    the new branch on another stack (debian12 or debian13): the whole branch runs again
                  on a fresh lab of that stack, --inject optional, --at 0 by default (THINLAB_STACK
                  is not read here: a what-if inherits its branch's stack unless asked in so many words)
  --branch NAME   another branch than the head
  --json          the outcome: {name, at, injected, injectedOutput, originalLength, whatIfLength,
                  firstDifference, differences, originalModes, whatIfModes, data}
example:
  thinlab whatif --at 6 --inject crash
  thinlab whatif --stack debian13
`,
  options: {
    ...BRANCH_OPTION,
    ...JSON_OPTION,
    at: { type: 'string' },
    inject: { type: 'string' },
    name: { type: 'string' },
    expect: { type: 'string' },
    invariant: { type: 'string' },
    ...STACK_OPTION,
  },
  maxPositionals: 0,
  async run(ctx) {
    const { whatIfCommand } = await import('../history-commands.js');
    const at = ctx.string('at');
    const inject = ctx.string('inject');
    const name = ctx.string('name');
    const expect = ctx.string('expect');
    const invariant = ctx.string('invariant');
    await ctx.withHistory(
      (h) =>
        whatIfCommand(
          h,
          {
            ...branchArg(ctx),
            ...(at === undefined ? {} : { at }),
            ...(inject === undefined ? {} : { inject }),
            ...(name === undefined ? {} : { name }),
            ...(expect === undefined ? {} : { expect }),
            ...(invariant === undefined ? {} : { invariant }),
            ...stackFlag(ctx),
            where: ctx.where,
            json: ctx.flag('json'),
          },
          ctx.io,
        ),
      'write-existing',
    );
    return 0;
  },
};
