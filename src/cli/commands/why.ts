import type { CommandSpec } from '../command-spec.js';
import { BRANCH_OPTION, branchArg, JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'why',
  help: `usage: thinlab why NAME [POS] [--branch NAME] [--json]
A Docker container or image of the history (at the end of the branch, or after POS events)
followed down to its thin devices and blocks: what it shares with whom, and what removing it
would give back. Exit 1 when nothing is called NAME (the names that exist are listed).
  --branch NAME   another branch than the head
  --json          {branch, position, name, found, kind, containers, images, text}
example:
  thinlab why web --branch docker-demo
`,
  options: { ...BRANCH_OPTION, ...JSON_OPTION },
  maxPositionals: 2,
  async run(ctx) {
    const { whyCommand } = await import('../why-command.js');
    return ctx.withHistory(
      (h) =>
        whyCommand(
          h,
          { ...branchArg(ctx), name: ctx.positionals[0], position: ctx.positionals[1], json: ctx.flag('json') },
          ctx.io,
        ),
      'read',
    );
  },
};
