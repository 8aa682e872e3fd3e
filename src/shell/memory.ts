/**
 * The shell's part of the VM's one memory budget (issue 17): its variables, the values it builds
 * (`x=$x$x`, `$( )`) and the pipes whose readers take their input whole. The host says how much
 * of the VM's free memory its files and RAM disks leave (`Host.memoryFreeBytes`); what the shell
 * holds is counted against the rest.
 *
 * What the oracle VM does when it runs out (fixtures/kernel/141-memory-variable): busybox sh
 * does not see its allocation fail, the kernel's OOM killer kills the process that grew, and the
 * shell that waited for it prints `Killed` and takes status 137. The lab does the same for a
 * subshell. Which process the OOM killer picks depends on every process's size, so when the
 * script's own shell is the one that grew, the lab does not guess: it says which limit was passed
 * and ends the script with 137.
 */

/** The status of a process the OOM killer killed (128 + SIGKILL). */
export const KILLED_STATUS = 137;

/**
 * A value this long or longer is checked against the memory left: smaller ones cannot matter
 * before the pipes and values that are checked do.
 */
export const CHECKED_VALUE_BYTES = 1024 * 1024;

/** The longest string V8 makes (String::kMaxLength on 64-bit): past it, the lab could not hold the value at all. */
export const LONGEST_STRING_CHARS = 2 ** 29 - 24;

/** Raised where the shell that holds a value would have been killed for its memory. */
export class OutOfMemory {
  constructor(
    /** What grew: `x=$x$x`, `a command substitution`, ... */
    readonly what: string,
    /** Bytes it needed, and bytes the VM had left for it. */
    readonly neededBytes: number,
    readonly leftBytes: number,
    /**
     * The VM was seen to kill the command here and ash to print only `Killed` (a write to a tmpfs
     * past the memory, fixtures/kernel/143-memory-tmp-run-oom): the lab prints the same.
     */
    readonly seenOnVm = false,
  ) {}
}

/** The bytes a shell's variables and positional parameters hold (a byte a character, as ash keeps them). */
export function valuesBytes(state: {
  readonly vars: ReadonlyMap<string, string>;
  readonly positional: readonly string[];
}): number {
  let n = 0;
  for (const v of state.vars.values()) n += v.length;
  for (const p of state.positional) n += p.length;
  return n;
}

const mib = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MiB`;

/** What ash prints for a child the kernel killed with SIGKILL. */
export const KILLED_TEXT = 'Killed\n';

/** The lab's line when the script's own shell passes the VM's memory (the script then ends). */
export function mainShellKilledText(e: OutOfMemory): string {
  return (
    `thinlab: out of memory: ${e.what} needs ${mib(e.neededBytes)} and the VM has ${mib(e.leftBytes)} left ` +
    `(${VM_MEMORY_TEXT}); the kernel's OOM killer would kill a process here, the lab ends the script with ` +
    `status ${KILLED_STATUS} (docs/shell.md, "Limits")\n`
  );
}

/**
 * The lab's line for a command killed for the input it held (`yes | sort`): which process the
 * OOM killer picks was not reproduced on the VM, so the lab names the limit rather than print
 * only ash's `Killed`.
 */
export function commandKilledText(e: OutOfMemory): string {
  return (
    `thinlab: out of memory: ${e.what} took the ${mib(e.leftBytes)} the VM had left (${VM_MEMORY_TEXT}); ` +
    `the kernel's OOM killer would kill a process here, the lab stops this command with status ${KILLED_STATUS} ` +
    `(docs/shell.md, "Limits")\n`
  );
}

const VM_MEMORY_TEXT = "its 983744 kB hold /tmp, /run, the RAM disks and the shell's values and pipes";
