/**
 * Which command a command line names, before anything is loaded: run-cli.ts dispatches by it, and
 * bin/thinlab.js picks by it the bundle that holds the command (scripts/bundle.mjs), so that the two
 * can never disagree about which command runs.
 */
import { COMMANDS, THIN_TOOL_COMMANDS, THIN_TOOL_COMMANDS_1X_ONLY } from './commands/index.js';

/** Options given before the command (`thinlab --db x log`) go after it, where its parser reads them. */
export function commandFirst(argv: readonly string[]): string[] {
  const lead: string[] = [];
  let i = 0;
  while ((argv[i] === '--db' || argv[i] === '--store') && i + 1 < argv.length) lead.push(argv[i++]!, argv[i++]!);
  return [...argv.slice(i, i + 1), ...lead, ...argv.slice(i + 1)];
}

export const isThinTool = (name: string): boolean =>
  THIN_TOOL_COMMANDS.includes(name) || THIN_TOOL_COMMANDS_1X_ONLY.includes(name);

/** The bundles besides one per command: the thin tools on host files, and usage and errors. */
export const TOOLS_BUNDLE = 'tools';
export const MAIN_BUNDLE = 'main';

/**
 * The bundle that runs this command line: the command's own, `tools` for a thin tool (with or
 * without `--stack` first), and `main` for everything that loads no command (usage, help, errors).
 */
export function bundleFor(argv: readonly string[]): string {
  const [name] = commandFirst(argv);
  if (name === undefined) return MAIN_BUNDLE;
  if (name === '--stack' || name.startsWith('--stack=') || isThinTool(name)) return TOOLS_BUNDLE;
  return Object.hasOwn(COMMANDS, name) ? name : MAIN_BUNDLE;
}
