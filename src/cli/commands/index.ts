/**
 * The commands of `thinlab`, by name, each loaded only when it runs: `thinlab log` never loads
 * the scenario runner, `thinlab --help` loads nothing. A new command (such as the web UI's `ui`)
 * is one module under this folder and one line here.
 */
import type { CommandSpec } from '../command-spec.js';
import { THIN_TOOLS_090, THIN_TOOLS_1X_ONLY } from '../../shared/thin-tool-names.js';

type Loader = () => Promise<{ readonly command: CommandSpec }>;

export const COMMANDS: Readonly<Record<string, Loader>> = {
  sh: () => import('./sh.js'),
  demo: () => import('./demo.js'),
  log: () => import('./log.js'),
  at: () => import('./at.js'),
  rollback: () => import('./rollback.js'),
  branches: () => import('./branches.js'),
  checkout: () => import('./checkout.js'),
  diff: () => import('./diff.js'),
  replay: () => import('./replay.js'),
  export: () => import('./export.js'),
  why: () => import('./why.js'),
  whatif: () => import('./whatif.js'),
  run: () => import('./run.js'),
  bisect: () => import('./bisect.js'),
  explain: () => import('./explain.js'),
  prop: () => import('./prop.js'),
  ui: () => import('./ui.js'),
  conform: () => import('./conform.js'),
};

/**
 * The thin-provisioning-tools commands, which parse their own options as 0.9.0 does. The names come
 * from a leaf module (a test holds them to src/tools/index.ts) so that choosing a command loads no tool.
 */
export const THIN_TOOL_COMMANDS: readonly string[] = THIN_TOOLS_090;

/** The tools only thin-provisioning-tools 1.1.0 has (`thinlab --stack debian13 thin_migrate -h`). */
export const THIN_TOOL_COMMANDS_1X_ONLY: readonly string[] = THIN_TOOLS_1X_ONLY;

/** Commands that take their arguments as they are, with their own --help (prop, the thin tools). */
export const RAW_ARGUMENT_COMMANDS: ReadonlySet<string> = new Set(['prop', 'ui', ...THIN_TOOL_COMMANDS]);
