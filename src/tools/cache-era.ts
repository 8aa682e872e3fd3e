/**
 * The dm-cache and dm-era tools that thin-provisioning-tools 1.1.0 (debian13) installs beside the
 * thin ones. The lab has no dm-cache or dm-era, so no cache or era metadata: on the lab's files
 * and devices the real tools refuse, and the lab prints their refusal (a bad superblock checksum,
 * status 64, since a thin superblock is sealed with another checksum salt), taken from the real
 * 1.1.0 on the tools' test images. Real cache or era metadata (from an attached host image) is
 * refused by name, as are the other cache_* and era_* names (see `REFUSED_CACHE_ERA_TOOLS`).
 */
import { dmChecksum } from '../format/crc32c.js';
import { BLOCK_SIZE } from '../format/layout.js';
import type { ClapArg } from './clap.js';
import { defineTool, type ThinTool } from './define-tool.js';
import { FAILURE_1X } from './release.js';
import { openInput1x, type ToolEnv } from './tool-io.js';
import { CACHE_CHECK_HELP_1X, CACHE_DUMP_HELP_1X, ERA_CHECK_HELP_1X, ERA_DUMP_HELP_1X } from './usage-1x.js';

/** The checksum salts of a cache and an era superblock (dm-cache-metadata.c, dm-era-target.c). */
const CACHE_SUPERBLOCK_CSUM_XOR = 9031977;
const ERA_SUPERBLOCK_CSUM_XOR = 146538381;

/** The names 1.1.0 installs that the lab refuses outright (beyond their -h, which it does not have). */
export const REFUSED_CACHE_ERA_TOOLS = [
  'cache_metadata_size',
  'cache_repair',
  'cache_restore',
  'cache_writeback',
  'era_invalidate',
  'era_restore',
] as const;

const flag = (long: string, short?: string): ClapArg => ({ long, key: short ?? long, ...(short ? { short } : {}) });
const OUTPUT: ClapArg = { long: 'output', short: 'o', value: '<FILE>', key: 'o', path: true };

/** One of the four: its arguments, and whether it prints a header before it reads the superblock. */
function cacheEraTool(name: string, help: string, args: readonly ClapArg[], header?: string): ThinTool {
  return defineTool({
    name,
    // Not a tool of 0.9.0: the lab's table of 0.9.0 tools (index.ts) does not list it.
    usage: '',
    options: [],
    v1: { cli: { help, operand: '<INPUT>', args }, runs: true },
    start: (env) => {
      let quiet = false;
      let unmodelled = false;
      return {
        option: (key) => {
          if (key === 'q') quiet = true;
          // Writing an output file, or repairing, is not modelled: there is no cache metadata to write.
          else if (key === 'o' || key === 'r' || key === 'auto-repair' || key === 'clear-needs-check-flag')
            unmodelled = true;
          return undefined;
        },
        run: (operands) => refuse(env, operands[0]!, quiet, unmodelled, header),
      };
    },
  });
}

function refuse(env: ToolEnv, path: string, quiet: boolean, unmodelled: boolean, header?: string): number {
  const err = (t: string): void => {
    if (!quiet) env.io.err(t);
  };
  const input = openInput1x(env.ctx, path);
  if (!input.ok) {
    err(input.message);
    return FAILURE_1X;
  }
  if (input.bytes.length < BLOCK_SIZE) {
    err('Metadata device/file too small.  Is this binary metadata?\n');
    return FAILURE_1X;
  }
  if (header !== undefined) err(header);
  const stored = new DataView(input.bytes.buffer, input.bytes.byteOffset).getUint32(0, true);
  const sealed = [CACHE_SUPERBLOCK_CSUM_XOR, ERA_SUPERBLOCK_CSUM_XOR].some(
    (xor) => dmChecksum(input.bytes, 4, BLOCK_SIZE, xor) === stored,
  );
  // Status 1 under 1.1.0 is a run the lab does not model: defineTool refuses it by name.
  if (sealed || unmodelled) return 1;
  err('bad checksum in superblock\n');
  return FAILURE_1X;
}

export const cacheCheck = cacheEraTool('cache_check', CACHE_CHECK_HELP_1X, [
  flag('auto-repair'),
  flag('clear-needs-check-flag'),
  flag('ignore-non-fatal-errors'),
  flag('quiet', 'q'),
  flag('skip-discards'),
  flag('skip-hints'),
  flag('skip-mappings'),
  flag('super-block-only'),
]);
export const cacheDump = cacheEraTool('cache_dump', CACHE_DUMP_HELP_1X, [OUTPUT, flag('repair', 'r')]);
export const eraCheck = cacheEraTool(
  'era_check',
  ERA_CHECK_HELP_1X,
  [flag('ignore-non-fatal-errors'), flag('quiet', 'q'), flag('super-block-only')],
  'Checking era metadata\n',
);
export const eraDump = cacheEraTool('era_dump', ERA_DUMP_HELP_1X, [flag('logical'), OUTPUT, flag('repair', 'r')]);
