/**
 * One command of the `thinlab` command line: the options it takes (a table, read by node's
 * util.parseArgs), its help with an example, and what it does. Each command is a module of its
 * own under src/cli/commands/, and the heavy modules a command needs (the model, the store, the
 * replay) are imported inside `run`, so that `thinlab CMD --help` and the other commands never
 * load them.
 */
import { parseArgs } from 'node:util';
import { isStackId, STACK_IDS, STACK_VERSIONS, type StackId } from '../model/stack.js';
import type { History } from '../replay/history.js';
import type { EventStore } from '../store/event-store.js';
import { type Output, UsageError } from './output.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export interface CommandSpec {
  readonly name: string;
  /** `thinlab CMD --help`: usage, options, and at least one example. */
  readonly help: string;
  readonly options: OptionTable;
  /** How many positional arguments it takes at most (Infinity: any number). */
  readonly maxPositionals: number;
  run(ctx: CommandContext): Promise<number>;
}

/** Options every command takes: where the history lives, and --help. */
export const COMMON_OPTIONS: OptionTable = {
  db: { type: 'string' },
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** The help lines for COMMON_OPTIONS, appended to every command's own help. */
export const COMMON_HELP = `common options
  --db PATH       the SQLite history (default ./thinlab.db)
  --store URL     sqlite:PATH or kurrentdb://host:port?tls=false (or THINLAB_STORE)
  --help, -h      this help
`;

export interface CommandContext {
  readonly positionals: readonly string[];
  readonly io: Output;
  /** The store URL: --store, else --db, else THINLAB_STORE, else ./thinlab.db. */
  readonly storeUrl: string;
  /** ` --db PATH` or ` --store URL` as given, so that commands printed for the user paste as they are. */
  readonly where: string;
  string(name: string): string | undefined;
  flag(name: string): boolean;
  /**
   * The stack asked for: --stack, else THINLAB_STACK, else undefined (a new lab is debian12, a
   * continued branch keeps its own). A value that names no stack is bad input, listing the stacks.
   */
  stack(): StackId | undefined;
  /** Opens the store, runs `use` on its history and closes the store, whatever happens. */
  /**
   * Opens the store and the history on it, checks the history's structure, runs `use`, closes.
   * `read` commands never create, migrate or leave files next to a database; `write-existing`
   * ones refuse a database that is not there instead of creating it.
   */
  withHistory<T>(use: (h: History) => Promise<T>, access?: HistoryAccess): Promise<T>;
}

/** The one-line error for an option parseArgs refused, naming the command's own help. */
function optionError(command: string, e: unknown): UsageError {
  const err = e as { code?: string; message?: string };
  const help = `thinlab ${command} --help lists its options`;
  const named = /'(-{1,2}[^' ]+)/.exec(err.message ?? '')?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(`${command}: unknown option '${named}' (${help})`);
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return new UsageError(`${command}: ${named ?? 'an option'} needs a value (${help})`);
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`${command}: too many arguments (${help})`);
  return new UsageError(`${command}: ${err.message ?? String(e)}`);
}

export interface ParsedCommand {
  readonly positionals: string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
}

/** Parses a command's arguments against its table and the common options; bad ones are a UsageError. */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...COMMON_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw optionError(spec.name, e);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help !== true && parsed.positionals.length > spec.maxPositionals)
    throw new UsageError(
      `${spec.name}: unexpected argument '${parsed.positionals[spec.maxPositionals]}' (thinlab ${spec.name} --help)`,
    );
  return { positionals: parsed.positionals, values };
}

export type HistoryAccess = 'read' | 'write' | 'write-existing';

/**
 * THINLAB_KILL_AT_WRITE=N[:after] ends the process with SIGKILL at the store's Nth write, just
 * before (or after) its commit: the kill -9 sweep (test/store-kill-sweep.ts) uses it to prove
 * that a crash at any write leaves the old or the new state.
 */
function killAtWrite(
  spec: string | undefined,
): ((write: number, phase: 'before-commit' | 'after-commit') => void) | undefined {
  const m = /^([1-9][0-9]*)(:after)?$/.exec(spec ?? '');
  if (m === null) return undefined;
  const at = Number(m[1]);
  const phase = m[2] === undefined ? 'before-commit' : 'after-commit';
  return (write, now) => {
    if (write === at && now === phase) process.kill(process.pid, 'SIGKILL');
  };
}

/** `--stack NAME` (or THINLAB_STACK) checked against the stacks the lab reproduces. */
export function parseStack(text: string | undefined, from: string): StackId | undefined {
  if (text === undefined || (text === '' && from === 'THINLAB_STACK')) return undefined;
  if (!isStackId(text))
    throw new UsageError(
      `${from} '${text}' is not a stack the lab reproduces: use ${STACK_IDS.map((id) => `${id} (Linux ${STACK_VERSIONS[id].kernel}, thin-provisioning-tools ${STACK_VERSIONS[id].thinProvisioningTools}, LVM ${STACK_VERSIONS[id].lvm})`).join(' or ')}`,
    );
  return text;
}

/**
 * The context a command runs in; `envStore` and `envStack` are THINLAB_STORE and THINLAB_STACK as
 * the CLI read them.
 */
export function commandContext(
  parsed: ParsedCommand,
  io: Output,
  envStore: string | undefined,
  envStack?: string,
): CommandContext {
  const str = (name: string): string | undefined => {
    const v = parsed.values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const db = str('db');
  const store = str('store');
  const storeUrl = store ?? (db !== undefined ? `sqlite:${db}` : undefined) ?? (envStore || 'sqlite:thinlab.db');
  return {
    positionals: parsed.positionals,
    io,
    storeUrl,
    where: store !== undefined ? ` --store ${store}` : db !== undefined ? ` --db ${db}` : '',
    string: str,
    flag: (name) => parsed.values[name] === true,
    stack: () => {
      const given = str('stack');
      return given !== undefined ? parseStack(given, '--stack') : parseStack(envStack, 'THINLAB_STACK');
    },
    withHistory: async (use, access = 'write') => {
      const [{ openStore }, { History }] = await Promise.all([
        import('../store/open-store.js'),
        import('../replay/history.js'),
      ]);
      let opened: EventStore | null = null;
      try {
        const kill = killAtWrite(process.env.THINLAB_KILL_AT_WRITE);
        opened = await openStore(storeUrl, {
          readOnly: access === 'read',
          mustExist: access === 'write-existing',
          ...(kill === undefined ? {} : { onWrite: kill }),
        });
        const history = new History(opened);
        await history.check();
        return await use(history);
      } finally {
        await opened?.close();
      }
    },
  };
}
