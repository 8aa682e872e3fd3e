import { packagePath } from '../../shared/package-root.js';
import type { CommandSpec } from '../command-spec.js';
import { JSON_OPTION } from './common.js';

export const command: CommandSpec = {
  name: 'explain',
  help: `usage: thinlab explain SYMPTOM [--scenarios DIR] [--json]
What a symptom means (a kernel log line, a dmsetup status line, a Docker or LVM error): the pool
state it shows, what to do, and the scenarios of the library that reproduce it. Exit 1 when the
lab knows nothing of it.
  --scenarios DIR the scenario library (default: scenarios/ of this thinlab)
  --json          {symptom, source, fields, meaning, next, scenarios: [{file, title, how, detail}], known}
example:
  thinlab explain 'device-mapper: thin: 253:0: switching pool to fail mode'
`,
  options: { ...JSON_OPTION, scenarios: { type: 'string' } },
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(ctx) {
    const { explainCommand } = await import('../explain-command.js');
    // The library that ships with this thinlab, so a symptom is matched against its own scenarios.
    const library = ctx.string('scenarios') ?? packagePath('scenarios');
    // The build's index of that library is trusted only by the build's own code (under dist/):
    // code run from the sources may parse differently from the parser that wrote it.
    const index =
      library === packagePath('scenarios') && import.meta.url.includes('/dist/')
        ? packagePath('dist/scenario-index.json')
        : undefined;
    return explainCommand({ symptom: ctx.positionals.join(' '), library, json: ctx.flag('json'), index }, ctx.io);
  },
};
