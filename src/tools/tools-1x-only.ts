/**
 * The thin tools that 1.1.0 (debian13) has and 0.9.0 did not: thin_metadata_pack and
 * thin_metadata_unpack (a compressed copy of the metadata blocks in use) and thin_migrate (a thin
 * volume copied to another pool). The lab models their command lines (-h, -V, clap's refusals),
 * not what they do: a run is refused by name (defineTool's `runs: false`).
 */
import type { ClapCommand } from './clap.js';
import { defineTool, type ThinTool } from './define-tool.js';
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
  ],
});

export const thinMigrate = commandLineOnly('thin_migrate', {
  help: THIN_MIGRATE_HELP_1X,
  args: [
    { long: 'buffer-size-meg', value: '<MB>', numeric: true, key: 'buffer-size-meg' },
    { long: 'dest-dev', value: '<DEVICE>', key: 'dest-dev' },
    { long: 'dest-file', value: '<FILE>', key: 'dest-file' },
    { long: 'quiet', short: 'q', key: 'q' },
    { long: 'source-dev', value: '<DEVICE>', key: 'source-dev' },
  ],
});
