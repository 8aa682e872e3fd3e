/**
 * `fault metadata KIND [OPTIONS] DEV`: damages the dm-thin metadata on a block device or in a lab
 * file. The damage is computed from the bytes a reader of DEV sees now (src/format/metadata-damage.ts)
 * and written back block by block through the same path as `dd of=DEV seek=BLOCK`, so a live pool
 * is affected exactly as a dd on a real machine affects it: not until it reads those blocks again.
 *
 * Bad input (an unknown kind, a bad option, no dm-thin metadata on DEV, a node that does not
 * exist) is refused with exit status 2 before anything is written.
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { DAMAGE_KINDS, damageMetadata, type DamageOptions } from '../format/metadata-damage.js';
import { SECTOR_BYTES } from '../model/sectors.js';
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import { lookupPath } from '../lab/vfs.js';
import { readInputBytes } from '../tools/tool-io.js';
import type { FaultKind } from './fault-kind.js';

const NUMERIC = ['node', 'dev', 'bitmap', 'block', 'vblock', 'by', 'seed'] as const;
type NumericOption = (typeof NUMERIC)[number];

export const METADATA_USAGE =
  'KIND [--node N] [--dev ID] [--bitmap N] [--block B] [--vblock V] [--by N] [--space-map data|metadata] [--seed N] DEV';

/** The lines `fault --help` adds under `fault metadata`: one per kind. */
const KINDS_HELP: readonly string[] = [
  '    KIND is one of (DEV is a block device or a lab file holding dm-thin metadata):',
  ...DAMAGE_KINDS.map(
    (k) => `      ${k.name.padEnd(24)} ${k.summary}${k.options === '' ? '' : `; options ${k.options}`}`,
  ),
];

type Parsed = { ok: true; kind: string; options: DamageOptions; path: string } | { ok: false; error: string };

function parseArgs(args: readonly string[]): Parsed {
  const [kind, ...rest] = args;
  if (kind === undefined) return { ok: false, error: 'missing damage kind' };
  if (!DAMAGE_KINDS.some((k) => k.name === kind))
    return { ok: false, error: `unknown damage kind '${kind}' (known: ${DAMAGE_KINDS.map((k) => k.name).join(', ')})` };
  const options: { -readonly [K in keyof DamageOptions]: DamageOptions[K] } = {};
  const operands: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      operands.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const value = eq < 0 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined) return { ok: false, error: `option --${name} needs a value` };
    if (name === 'space-map') {
      if (value !== 'data' && value !== 'metadata')
        return { ok: false, error: `--space-map takes data or metadata, not '${value}'` };
      options.spaceMap = value;
    } else if ((NUMERIC as readonly string[]).includes(name)) {
      if (!/^-?[0-9]+$/.test(value) || (name !== 'by' && value.startsWith('-')))
        return { ok: false, error: `--${name} takes ${name === 'by' ? 'an integer' : 'a number'}, not '${value}'` };
      options[name as NumericOption] = Number(value);
    } else return { ok: false, error: `unknown option --${name}` };
  }
  if (operands.length !== 1)
    return {
      ok: false,
      error: operands.length === 0 ? 'missing device' : `one device only (got ${operands.join(' ')})`,
    };
  return { ok: true, kind, options, path: operands[0]! };
}

function runMetadataFault(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  const parsed = parseArgs(args);
  if (!parsed.ok) {
    io.err(`fault metadata: ${parsed.error}\nUsage: fault metadata ${METADATA_USAGE}\n`);
    return 2;
  }
  const target = lookupPath(ctx, parsed.path);
  if (target.kind !== 'block' && target.kind !== 'file') {
    io.err(
      `fault metadata: ${parsed.path}: ${target.kind === 'missing' ? 'No such file or device' : 'not a block device or file'}\n`,
    );
    return 2;
  }
  // dd does not open its output exclusively, so neither does this: a live pool's device is fine.
  const input = readInputBytes(ctx, parsed.path, false);
  if (!input.ok) {
    io.err(`fault metadata: ${parsed.path}: cannot be read\n`);
    return 2;
  }
  const result = damageMetadata(input.bytes, parsed.kind, parsed.options);
  if (!result.ok) {
    io.err(`fault metadata: ${parsed.path}: ${result.error}\n`);
    return 2;
  }
  for (const write of result.writes) {
    if (target.kind === 'file') target.file.writeBytes(write.block * BLOCK_SIZE, write.bytes);
    else
      ctx.machine.writeSectors(
        target.dev,
        (write.block * BLOCK_SIZE) / SECTOR_BYTES,
        ctx.machine.dictionary.tokensOf(write.bytes),
      );
  }
  io.out(`fault metadata ${parsed.kind}: ${result.description}\n`);
  return 0;
}

export const METADATA_FAULT: FaultKind = {
  name: 'metadata',
  usage: METADATA_USAGE,
  run: runMetadataFault,
  details: KINDS_HELP,
  check: (args) => {
    const parsed = parseArgs(args);
    return parsed.ok ? null : parsed.error;
  },
};
