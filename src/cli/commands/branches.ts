import type { CommandSpec } from '../command-spec.js';
import { JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'branches',
  help: `usage: thinlab branches [--delete NAME | --prune] [--json]
The branches of the history with their lengths and where each was forked; * marks the head.
  --delete NAME   delete a branch (refused while another branch starts from it; the events
                  other branches share are kept)
  --prune         delete the branches run, whatif and the demos made that nothing starts from
  --json          {head, branches: [{name, head, length, parent, forkPosition}]}, or with
                  --delete/--prune {deleted: [NAME], head}
example:
  thinlab branches
`,
  options: { ...JSON_OPTION, delete: { type: 'string' }, prune: { type: 'boolean' } },
  maxPositionals: 0,
  async run(ctx) {
    const { branchesCommand } = await import('../history-commands.js');
    const del = ctx.string('delete');
    const prune = ctx.flag('prune');
    await ctx.withHistory(
      (h) =>
        branchesCommand(h, { ...(del === undefined ? {} : { delete: del }), prune, json: ctx.flag('json') }, ctx.io),
      del === undefined && !prune ? 'read' : 'write-existing',
    );
    return 0;
  },
};
