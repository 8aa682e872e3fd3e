/**
 * thin_restore 0.9.0 in the lab: reads thin_dump's XML and writes fresh metadata as 0.9.0's
 * restorer lays it out (metadata-writer-0.ts). The checks and messages follow the real tool: the
 * output must exist and hold at least
 * eight metadata blocks, its superblock is wiped before the XML is read (so a failed restore
 * leaves unusable metadata behind, as the real one does), and expat's parse errors and the
 * restorer's own errors are worded as 0.9.0 words them.
 */
import { defineTool } from './define-tool.js';
import { type BuiltDevice, type BuiltSuperblock, checkOutput, wipeSuperblock } from './metadata-output.js';
import { createMetadata0, writeImage0 } from './metadata-writer-0.js';
import { lexicalCastUnsigned, type Overrides0, overridden0, takeOverride0 } from './overrides-0.js';
import { readInputBytes, type ToolEnv } from './tool-io.js';
import { THIN_RESTORE_USAGE } from './usage.js';
import { parseXml, XmlSyntaxError } from './xml-input.js';
import { type ClapCommand, clapU32Error, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { restore1x } from './thin-restore-1x.js';
import type { ToolRun } from './define-tool.js';
import { THIN_RESTORE_HELP_1X } from './usage-1x.js';

/** An error of the restorer itself (not of the XML syntax), printed as it is. */
class RestoreError extends Error {}

const BAD_CAST = 'bad lexical cast: source type value could not be interpreted as target';

/** How xml_format.cc reads an attribute: get_attr or get_opt_attr, of a string or an unsigned type. */
type AttributeKind = 'text' | 'u32' | 'u64' | 'opt32' | 'opt64';

/**
 * The attributes 0.9.0's parser hands the emitter for one element, in the order of the call's
 * arguments (xml_format.cc). GCC evaluates a call's arguments right to left, so of several missing
 * or unreadable attributes the last one is reported (`<superblock>` alone: `could not find
 * attribute: nr_data_blocks`; uuid, a string, is needed though it is dropped). The values are
 * boost::lexical_cast's (lexicalCastUnsigned): a sign allowed, `-1` the type's largest value.
 */
function attributes(
  attrs: ReadonlyMap<string, string>,
  specs: ReadonlyArray<readonly [string, AttributeKind]>,
): Map<string, bigint | undefined> {
  const out = new Map<string, bigint | undefined>();
  for (const [name, kind] of [...specs].reverse()) {
    const text = attrs.get(name);
    if (text === undefined) {
      if (kind !== 'opt32' && kind !== 'opt64') throw new RestoreError(`could not find attribute: ${name}`);
      out.set(name, undefined);
      continue;
    }
    if (kind === 'text') continue;
    const value = lexicalCastUnsigned(text, kind === 'u32' || kind === 'opt32' ? 32 : 64);
    if (value === null) throw new RestoreError(BAD_CAST);
    out.set(name, value);
  }
  return out;
}

/**
 * A value as the lab's numbers hold it; `bits` is the width of the field it is stored in. The lab's
 * blocks and counts are safe integers: a value of 2^53 or more (`-1` is 2^64 - 1) is refused by name.
 */
function held(v: bigint | undefined, bits = 64): number {
  const value = BigInt.asUintN(bits, v ?? 0n);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RestoreError(
      `thinlab: not modelled: thin_restore of thin-provisioning-tools 0.9.0 on an XML value of 2^53 or more (${value}): the lab's blocks and counts are safe integers; see docs/tools.md`,
    );
  return Number(value);
}

const SUPERBLOCK_ATTRIBUTES = [
  ['uuid', 'text'],
  ['time', 'u64'],
  ['transaction', 'u64'],
  ['flags', 'opt32'],
  ['version', 'opt32'],
  ['data_block_size', 'u32'],
  ['nr_data_blocks', 'u64'],
  ['metadata_snap', 'opt64'],
] as const;
const DEVICE_ATTRIBUTES = [
  ['dev_id', 'u32'],
  ['mapped_blocks', 'u64'],
  ['transaction', 'u64'],
  ['creation_time', 'u64'],
  ['snap_time', 'u64'],
] as const;
const RANGE_MAPPING_ATTRIBUTES = [
  ['origin_begin', 'u64'],
  ['data_begin', 'u64'],
  ['time', 'u32'],
  ['length', 'u64'],
] as const;
const SINGLE_MAPPING_ATTRIBUTES = [
  ['origin_block', 'u64'],
  ['data_block', 'u64'],
  ['time', 'u32'],
] as const;

/** Turns the XML elements into a superblock and devices, checking what 0.9.0 checks. */
export function restoreFromXml(
  text: string,
  overrides: Overrides0 = {},
): { sb: BuiltSuperblock; devices: Map<number, BuiltDevice> } {
  let sb: BuiltSuperblock | null = null;
  const devices = new Map<number, BuiltDevice>();
  let current: BuiltDevice | null = null;
  const map = (vblock: number, dataBlock: number, time: number): void => {
    if (current === null) throw new RestoreError('not in device');
    if (dataBlock >= sb!.nrDataBlocks)
      throw new RestoreError(`mapping beyond end of data device (${dataBlock} >= ${sb!.nrDataBlocks})`);
    current.mappings.push({ vblock, dataBlock, time });
  };
  parseXml(text, {
    start(name, attrs) {
      if (name === 'superblock') {
        const a = attributes(attrs, SUPERBLOCK_ATTRIBUTES);
        sb = overridden0(
          {
            // The uuid is read and dropped: 0.9.0 writes a zero uuid whatever the XML says.
            time: held(a.get('time'), 32),
            transactionId: a.get('transaction')!,
            flags: held(a.get('flags') ?? 0n),
            version: held(a.get('version') ?? 1n),
            dataBlockSize: held(a.get('data_block_size')),
            nrDataBlocks: held(a.get('nr_data_blocks')),
          },
          overrides,
        );
        return;
      }
      if (sb === null) throw new RestoreError('missing superblock');
      switch (name) {
        case 'device': {
          const a = attributes(attrs, DEVICE_ATTRIBUTES);
          const id = held(a.get('dev_id'));
          const details = {
            mappedBlocks: held(a.get('mapped_blocks')),
            transactionId: a.get('transaction')!,
            creationTime: held(a.get('creation_time'), 32),
            snapshottedTime: held(a.get('snap_time'), 32),
          };
          if (devices.has(id)) throw new RestoreError('Device already exists');
          current = { details, mappings: [] };
          devices.set(id, current);
          return;
        }
        case 'single_mapping': {
          const a = attributes(attrs, SINGLE_MAPPING_ATTRIBUTES);
          map(held(a.get('origin_block')), held(a.get('data_block')), held(a.get('time')));
          return;
        }
        case 'range_mapping': {
          const a = attributes(attrs, RANGE_MAPPING_ATTRIBUTES);
          const begin = held(a.get('origin_begin'));
          const data = held(a.get('data_begin'));
          const time = held(a.get('time'));
          const length = held(a.get('length'));
          for (let i = 0; i < length; i++) map(begin + i, data + i, time);
          return;
        }
        default:
          throw new RestoreError('unknown tag type');
      }
    },
    end(name) {
      if (name === 'device') current = null;
    },
  });
  if (sb === null) throw new RestoreError('missing superblock');
  return { sb, devices };
}

/** thin_restore's command line in 1.1.0; its run is thin-restore-1x.ts. */
const CLI_1X: ClapCommand = {
  help: THIN_RESTORE_HELP_1X,
  args: [
    { long: 'data-block-size', value: '<SECTORS>', key: 'data-block-size', parse: clapU32Error },
    { long: 'input', short: 'i', value: '<FILE>', required: true, key: 'i', path: true },
    { long: 'nr-data-blocks', value: '<NUM>', numeric: true, key: 'nr-data-blocks' },
    { long: 'output', short: 'o', value: '<FILE>', required: true, key: 'o', path: true },
    { long: 'quiet', short: 'q', key: 'q' },
    { long: 'transaction-id', value: '<NUM>', numeric: true, key: 'transaction-id' },
    VERBOSE_ARG_1X,
    IO_ENGINE_ARG_1X,
  ],
};

export const thinRestore = defineTool({
  name: 'thin_restore',
  usage: THIN_RESTORE_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'input', short: 'i', arg: 'required', path: true },
    { long: 'output', short: 'o', arg: 'required', path: true },
    { long: 'transaction-id', arg: 'required' },
    { long: 'data-block-size', arg: 'required' },
    { long: 'nr-data-blocks', arg: 'required' },
    { long: 'quiet', short: 'q' },
    { long: 'version', short: 'V' },
  ],
  start: (env, usageError) => {
    if (env.release === '1.1.0') return restoreRun1x(env);
    let input: string | null = null;
    let output: string | null = null;
    const overrides: Overrides0 = {};
    return {
      option: (key, arg) => {
        if (key === 'i') input = arg!;
        if (key === 'o') output = arg!;
        return takeOverride0(overrides, key, arg, usageError);
      },
      run: () => {
        // 0.9.0 leaves an empty line between these two and the usage.
        if (input === null) return usageError('No input file provided.\n');
        if (output === null) return usageError('No output file provided.\n');
        return restore(env, input, output, overrides);
      },
    };
  },
});

function restore(env: ToolEnv, input: string, output: string, overrides: Overrides0): number {
  const { io } = env;
  const size = checkOutput(env, output);
  if (size === null) return 1;
  // The XML is read through an ordinary stream, not opened exclusively.
  const exists = readInputBytes(env.ctx, input, false);
  if (!exists.ok) {
    io.err(exists.why === 'directory' ? 'bad path\n' : "Couldn't stat file\n");
    return 1;
  }
  // The input is read after the wipe, so restoring a file onto itself reads the wiped bytes.
  createMetadata0(env, size);
  wipeSuperblock(env, output);
  const xml = readInputBytes(env.ctx, input, false);
  if (!xml.ok) return 1;
  let restored: ReturnType<typeof restoreFromXml>;
  try {
    restored = restoreFromXml(new TextDecoder('latin1').decode(xml.bytes), overrides);
  } catch (e) {
    if (e instanceof XmlSyntaxError) io.err(`Parse error at line ${e.line}:\n${e.message}\n\n`);
    else if (e instanceof RestoreError) io.err(`${e.message}\n`);
    else throw e;
    return 1;
  }
  return writeImage0(env, output, size, restored.sb, restored.devices) ? 0 : 1;
}

/** The run of thin_restore 1.1.0 once clap has taken its command line (-i and -o are required). */
function restoreRun1x(env: ToolEnv): ToolRun {
  const values = new Map<string, string>();
  let verbose = 0;
  return {
    option: (key, arg) => {
      // The hidden -v, counted: its log level (thin-restore-1x.ts prints what it adds).
      if (key === 'v') {
        verbose++;
        return undefined;
      }
      values.set(key, arg ?? '');
      return undefined;
    },
    run: () => {
      const overrides = new Map([...values].filter(([k]) => k !== 'i' && k !== 'o' && k !== 'q'));
      // -q: 1.1.0's quiet report drops every message, its errors too; the status stays.
      const quiet = {
        ...env,
        io: {
          get stdin() {
            return env.io.stdin;
          },
          out: env.io.out,
          err: () => undefined,
        },
      };
      return restore1x(values.has('q') ? quiet : env, values.get('i')!, values.get('o')!, overrides, verbose);
    },
  };
}
