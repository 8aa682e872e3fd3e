/** Options and helpers several commands share. */
import type { CommandContext, OptionTable } from '../command-spec.js';

/** The branch a time-travel command works on, when not the head. */
export const BRANCH_OPTION: OptionTable = { branch: { type: 'string' } };
export const JSON_OPTION: OptionTable = { json: { type: 'boolean' } };

/** `{ branch }` when --branch was given, else nothing (the head). */
export function branchArg(ctx: CommandContext): { branch?: string } {
  const branch = ctx.string('branch');
  return branch === undefined ? {} : { branch };
}
