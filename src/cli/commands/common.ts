/** Options and helpers several commands share. */
import type { StackId } from '../../model/stack.js';
import { type CommandContext, type OptionTable, parseStack } from '../command-spec.js';

/** The branch a time-travel command works on, when not the head. */
export const BRANCH_OPTION: OptionTable = { branch: { type: 'string' } };
export const JSON_OPTION: OptionTable = { json: { type: 'boolean' } };
/** `--stack debian12|debian13`: the software stack a new lab reproduces (src/model/stack.ts). */
export const STACK_OPTION: OptionTable = { stack: { type: 'string' } };
export const STACK_HELP = `  --stack NAME      the stack the lab reproduces: debian12 (Linux 6.1, thin-provisioning-tools 0.9.0,
                    LVM 2.03.16; the default) or debian13 (Linux 6.12, 1.1.0, LVM 2.03.31); or THINLAB_STACK
`;

/** `{ stack }` when --stack names one (THINLAB_STACK not read), else nothing. */
export function stackFlag(ctx: CommandContext): { stack?: StackId } {
  const stack = parseStack(ctx.string('stack'), '--stack');
  return stack === undefined ? {} : { stack };
}

/** `{ stack }` when --stack or THINLAB_STACK names one, else nothing. */
export function stackArg(ctx: CommandContext): { stack?: StackId } {
  const stack = ctx.stack();
  return stack === undefined ? {} : { stack };
}

/** `{ branch }` when --branch was given, else nothing (the head). */
export function branchArg(ctx: CommandContext): { branch?: string } {
  const branch = ctx.string('branch');
  return branch === undefined ? {} : { branch };
}
