import type { CommandSpec } from '../command-spec.js';
import { JSON_OPTION, STACK_OPTION, stackArg } from './common.js';

export const command: CommandSpec = {
  name: 'run',
  help: `usage: thinlab run FILE... [--no-record] [--branch NAME] [--json]
Runs scenario files (.yaml, or .sh with a .expected beside it), checking each expectation, and
records each run as a branch. Exit 0 when all pass, 1 when a check failed, 2 when a file is invalid.
  --no-record     do not touch the database
  --branch NAME   the branch name for the run (one FILE only)
  --stack NAME    the stack the scenarios run on: debian12 (the default) or debian13 (or THINLAB_STACK)
  --json          {valid, passed, scenarios: [...]} (or {valid: false, problems} for invalid files)
example:
  thinlab run scenarios/pool-full-queue-extend.yaml
  thinlab run --stack debian13 --no-record scenarios/pool-full-queue-extend.yaml
`,
  options: { ...JSON_OPTION, ...STACK_OPTION, 'no-record': { type: 'boolean' }, branch: { type: 'string' } },
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(ctx) {
    const { runScenariosCommand } = await import('../scenario-commands.js');
    const branch = ctx.string('branch');
    return runScenariosCommand(
      {
        files: [...ctx.positionals],
        json: ctx.flag('json'),
        record: !ctx.flag('no-record'),
        ...(branch === undefined ? {} : { branch }),
        ...stackArg(ctx),
        where: ctx.where,
      },
      (use) => ctx.withHistory(use),
      ctx.io,
    );
  },
};
