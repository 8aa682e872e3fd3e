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
import { type ClapArg, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { defineTool, type ThinTool } from './define-tool.js';
import { INVALID_LOG_LEVEL_1X, logLevel1x } from './log-level-1x.js';
import { FAILURE_1X } from './release.js';
import { looksLikeXml1x, openInput1x, type ToolEnv, XML_INPUT_1X } from './tool-io.js';
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

/**
 * How a tool reads its input before its superblock: the checks (cache_check, era_check) take the
 * hidden -v (report.rs verbose_args, its level checked first) and refuse XML (utils.rs
 * check_not_xml); the dumps take neither. All four take the hidden --io-engine (engine_args).
 */
interface Reading {
  readonly check: boolean;
  /** Printed before the superblock is read (era_check's "Checking era metadata"). */
  readonly header?: string;
}

/** One of the four: its arguments (without the hidden ones), and how it reads its input. */
function cacheEraTool(name: string, help: string, args: readonly ClapArg[], reading: Reading): ThinTool {
  const hidden = reading.check ? [VERBOSE_ARG_1X, IO_ENGINE_ARG_1X] : [IO_ENGINE_ARG_1X];
  return defineTool({
    name,
    // Not a tool of 0.9.0: the lab's table of 0.9.0 tools (index.ts) does not list it.
    usage: '',
    options: [],
    v1: { cli: { help, operand: '<INPUT>', args: [...args, ...hidden] }, runs: true },
    start: (env) => {
      const run: Run = { quiet: false, unmodelled: false, verbose: 0 };
      return {
        option: (key) => {
          if (key === 'q') run.quiet = true;
          else if (key === 'v') run.verbose++;
          // Writing an output file, or repairing, is not modelled: there is no cache metadata to write.
          else if (key === 'o' || key === 'r' || key === 'auto-repair' || key === 'clear-needs-check-flag')
            run.unmodelled = true;
          return undefined;
        },
        run: (operands) => refuse(env, operands[0]!, run, reading),
      };
    },
  });
}

interface Run {
  quiet: boolean;
  unmodelled: boolean;
  verbose: number;
}

function refuse(env: ToolEnv, path: string, run: Run, reading: Reading): number {
  const err = (t: string): void => {
    if (!run.quiet) env.io.err(t);
  };
  if (logLevel1x(run.verbose) === null) {
    err(INVALID_LOG_LEVEL_1X);
    return FAILURE_1X;
  }
  const input = openInput1x(env.ctx, path);
  if (!input.ok) {
    err(input.message);
    return FAILURE_1X;
  }
  if (input.bytes.length < BLOCK_SIZE) {
    err('Metadata device/file too small.  Is this binary metadata?\n');
    return FAILURE_1X;
  }
  if (reading.check && looksLikeXml1x(input.bytes)) {
    err(XML_INPUT_1X);
    return FAILURE_1X;
  }
  if (reading.header !== undefined) err(reading.header);
  const stored = new DataView(input.bytes.buffer, input.bytes.byteOffset).getUint32(0, true);
  const sealed = [CACHE_SUPERBLOCK_CSUM_XOR, ERA_SUPERBLOCK_CSUM_XOR].some(
    (xor) => dmChecksum(input.bytes, 4, BLOCK_SIZE, xor) === stored,
  );
  // Status 1 under 1.1.0 is a run the lab does not model: defineTool refuses it by name.
  if (sealed || run.unmodelled) return 1;
  err('bad checksum in superblock\n');
  return FAILURE_1X;
}

export const cacheCheck = cacheEraTool(
  'cache_check',
  CACHE_CHECK_HELP_1X,
  [
    flag('auto-repair'),
    flag('clear-needs-check-flag'),
    flag('ignore-non-fatal-errors'),
    flag('quiet', 'q'),
    flag('skip-discards'),
    flag('skip-hints'),
    flag('skip-mappings'),
    flag('super-block-only'),
  ],
  { check: true },
);
export const cacheDump = cacheEraTool('cache_dump', CACHE_DUMP_HELP_1X, [OUTPUT, flag('repair', 'r')], {
  check: false,
});
export const eraCheck = cacheEraTool(
  'era_check',
  ERA_CHECK_HELP_1X,
  [flag('ignore-non-fatal-errors'), flag('quiet', 'q'), flag('super-block-only')],
  { check: true, header: 'Checking era metadata\n' },
);
export const eraDump = cacheEraTool('era_dump', ERA_DUMP_HELP_1X, [flag('logical'), OUTPUT, flag('repair', 'r')], {
  check: false,
});
