/**
 * The thin tools that 1.1.0 (debian13) has and 0.9.0 did not: thin_metadata_pack and
 * thin_metadata_unpack (a compressed copy of the metadata blocks in use) and thin_migrate (a thin
 * volume copied to another pool). The lab models their command lines (-h, -V, clap's refusals),
 * and thin_migrate's checks of them, not what they do: a run is refused by name (defineTool's
 * `runs: false`; thin_migrate's migrateRun).
 */
import { type ClapCommand, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { defineTool, NOT_MODELLED_STATUS, notModelled1x, type ThinTool, type ToolRun } from './define-tool.js';
import { INVALID_LOG_LEVEL_1X, logLevel1x } from './log-level-1x.js';
import { FAILURE_1X } from './release.js';
import { PANIC_STATUS, panicText } from './rust-panic-1x.js';
import type { ToolEnv } from './tool-io.js';
import { THIN_METADATA_PACK_HELP_1X, THIN_METADATA_UNPACK_HELP_1X, THIN_MIGRATE_HELP_1X } from './usage-1x.js';

function commandLineOnly(name: string, cli: ClapCommand): ThinTool {
  return defineTool({
    name,
    // Not a tool of 0.9.0: the lab's table of 0.9.0 tools (index.ts) does not list it.
    usage: '',
    options: [],
    v1: { cli, runs: false },
    start: () => ({ run: () => 1 }),
  });
}

export const thinMetadataPack = commandLineOnly('thin_metadata_pack', {
  help: THIN_METADATA_PACK_HELP_1X,
  args: [
    { long: 'input', short: 'i', value: '<DEV>', required: true, key: 'i', path: true },
    { long: 'output', short: 'o', value: '<FILE>', required: true, key: 'o', path: true },
    { long: 'force', short: 'f', key: 'f' },
  ],
});

export const thinMetadataUnpack = commandLineOnly('thin_metadata_unpack', {
  help: THIN_METADATA_UNPACK_HELP_1X,
  args: [
    { long: 'input', short: 'i', value: '<FILE>', required: true, key: 'i', path: true },
    { long: 'output', short: 'o', value: '<DEV>', required: true, key: 'o', path: true },
    { long: 'force', short: 'f', key: 'f' },
    IO_ENGINE_ARG_1X,
  ],
});

/**
 * thin_migrate's own checks before it copies anything (src/commands/thin_migrate.rs): the log
 * level, a source, a destination; then the migration, which the lab does not model (refused by
 * name). Its hidden `--delta-id` is declared without a value parser but read as a u32, so clap
 * panics whenever it is given, before the source is looked at. Its -v adds nothing to these checks:
 * at Info the migration itself reports only its progress.
 */
function migrateRun(env: ToolEnv): ToolRun {
  const given = new Set<string>();
  let verbose = 0;
  return {
    option: (key) => {
      if (key === 'v') verbose++;
      given.add(key);
      return undefined;
    },
    run: () => {
      // -q swaps in the quiet report, which drops every message; the status stays.
      const say = (text: string): void => (given.has('q') ? undefined : env.io.err(text));
      if (logLevel1x(verbose) === null) {
        say(INVALID_LOG_LEVEL_1X);
        return FAILURE_1X;
      }
      if (given.has('delta-id')) {
        env.io.err(panicText(CLAP_MISMATCH_AT, DELTA_ID_MISMATCH));
        return PANIC_STATUS;
      }
      if (!given.has('source-dev')) say('You must specify a source\n');
      else if (!given.has('dest-dev') && !given.has('dest-file')) say('You must specify a dest\n');
      else {
        env.io.err(notModelled1x('thin_migrate', 'the migration itself (copying a thin volume between pools)'));
        return NOT_MODELLED_STATUS;
      }
      return FAILURE_1X;
    },
  };
}

/** Where clap_builder 4.5.23 (Debian 13's) panics on a value read as another type than it was parsed as. */
const CLAP_MISMATCH_AT = '/usr/share/cargo/registry/clap_builder-4.5.23/src/parser/error.rs:32:9';
/** Its message for --delta-id: the TypeIds are those of String and u32 in Debian 13's binary. */
const DELTA_ID_MISMATCH =
  'Mismatch between definition and access of `DELTA-ID`. Could not downcast to TypeId(0x1378bb1c0a0202683eb65e7c11f2e4d7), need to downcast to TypeId(0x8f361ff49bd129395cbb0bc36ad764a6)\n';

export const thinMigrate = defineTool({
  name: 'thin_migrate',
  usage: '',
  options: [],
  v1: {
    cli: {
      help: THIN_MIGRATE_HELP_1X,
      args: [
        { long: 'buffer-size-meg', value: '<MB>', numeric: true, key: 'buffer-size-meg' },
        // Each value option is clap's ArgAction::Set: given twice, it is refused (status 2).
        // Hidden from its help: a baseline thin for deltas, and zeroing the destination's unwritten regions.
        { long: 'delta-id', value: '<THIN_ID>', key: 'delta-id', hidden: true },
        { long: 'dest-dev', value: '<DEVICE>', key: 'dest-dev' },
        { long: 'dest-file', value: '<FILE>', key: 'dest-file' },
        { long: 'quiet', short: 'q', key: 'q' },
        { long: 'source-dev', value: '<DEVICE>', key: 'source-dev' },
        { long: 'zero-dest', key: 'zero-dest', hidden: true },
        VERBOSE_ARG_1X,
        IO_ENGINE_ARG_1X,
      ],
    },
    runs: true,
  },
  start: (env) => migrateRun(env),
});
