/**
 * thin_ls 0.9.0 in the lab. Columns are right-aligned to their widest cell and every cell,
 * the last included, is followed by one space, as 0.9.0's grid layout prints them. A block is
 * "exclusive" when exactly one mapping in the whole pool points at it (counted from the mapping
 * trees, not from the data space map), and sizes use 0.9.0's `format_disk_unit` rounding.
 */
import { SUPERBLOCK_CSUM_XOR } from '../format/layout.js';
import { defineTool } from './define-tool.js';
import type { DetailsValue, MetadataBytes } from './metadata-view.js';
import { openMetadata, type ToolEnv } from './tool-io.js';
import { THIN_LS_USAGE } from './usage.js';
import { type ClapCommand, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { THIN_LS_HELP_1X } from './usage-1x.js';
import { list1x, THIN_LS_FIELDS_1X_ONLY } from './thin-ls-1x.js';

export const THIN_LS_FIELDS = [
  'DEV',
  'MAPPED_BLOCKS',
  'EXCLUSIVE_BLOCKS',
  'SHARED_BLOCKS',
  'MAPPED_SECTORS',
  'EXCLUSIVE_SECTORS',
  'SHARED_SECTORS',
  'MAPPED_BYTES',
  'EXCLUSIVE_BYTES',
  'SHARED_BYTES',
  'MAPPED',
  'EXCLUSIVE',
  'SHARED',
  'TRANSACTION',
  'CREATE_TIME',
  'SNAP_TIME',
] as const;
type Field = (typeof THIN_LS_FIELDS)[number];
const FIELDS_1X: readonly string[] = [...THIN_LS_FIELDS, ...THIN_LS_FIELDS_1X_ONLY];
const DEFAULT_FIELDS: Field[] = ['DEV', 'MAPPED', 'CREATE_TIME', 'SNAP_TIME'];

/**
 * 0.9.0's `format_disk_unit` for a size in sectors: whole units, dividing by 1024 (truncating)
 * while the value is above 1 MiB of the current unit, then once more with rounding if it is still
 * above 8 KiB of it. So 1 MiB prints as "1024KiB" and 4 KiB as "4096".
 */
export function formatDiskUnit(sectors: bigint): string {
  let n = sectors * 512n;
  let i = 0;
  while (n > 1024n * 1024n) {
    n /= 1024n;
    i++;
  }
  if (n > 8n * 1024n) {
    n = BigInt(Math.round(Number(n) / 1024));
    i++;
  }
  return `${n}${['', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'][i]}`;
}

const needsExclusive = (f: Field): boolean => /EXCLUSIVE|SHARED/.test(f);

interface LsOptions {
  fields: Field[];
  headers: boolean;
  snap: boolean;
  /** How often 1.1.0's hidden -v was given. */
  verbose: number;
}

/** thin_ls's command line in 1.1.0 (its run: thin-ls-1x.ts). */
const CLI_1X: ClapCommand = {
  help: THIN_LS_HELP_1X,
  operand: '<INPUT>',
  args: [
    { long: 'metadata-snap', short: 'm', key: 'm' },
    { long: 'no-headers', key: 'no-headers' },
    // Each field is parsed by clap (ls.rs OutputField::from_str): `-o DEV,xyz` is refused there.
    {
      long: 'format',
      short: 'o',
      value: '<FIELDS>',
      key: 'o',
      delimiter: ',',
      parse: (field) => (FIELDS_1X.includes(field) ? null : 'Unknown field'),
    },
    VERBOSE_ARG_1X,
    IO_ENGINE_ARG_1X,
  ],
};

export const thinLs = defineTool({
  name: 'thin_ls',
  pathOperand: true,
  usage: THIN_LS_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'metadata-snap', short: 'm' },
    { long: 'version', short: 'V' },
    { long: 'format', short: 'o', arg: 'required' },
    { long: 'no-headers' },
  ],
  start: (env, usageError) => {
    const o: LsOptions = { fields: DEFAULT_FIELDS, headers: true, snap: false, verbose: 0 };
    return {
      option: (key, arg) => {
        switch (key) {
          // 1.1.0's hidden -v, counted: its log level (thin-ls-1x.ts prints what each level adds).
          case 'v':
            o.verbose++;
            break;
          case 'm':
            o.snap = true;
            break;
          case 'no-headers':
            o.headers = false;
            break;
          case 'o': {
            const names = arg!.split(',').filter((s, i, all) => !(s === '' && i === all.length - 1));
            const known: readonly string[] = env.release === '1.1.0' ? FIELDS_1X : THIN_LS_FIELDS;
            const unknown = names.find((n) => !known.includes(n));
            if (unknown !== undefined) {
              env.io.err('unknown field\n');
              return 1;
            }
            o.fields = names as Field[];
            break;
          }
        }
        return undefined;
      },
      run: (operands) => {
        const path = operands[0];
        if (path === undefined) return usageError('No input file provided.');
        return env.release === '1.1.0' ? list1x(env, o, path) : listPath(env, o, path);
      },
    };
  },
});

function listPath(env: ToolEnv, options: LsOptions, path: string): number {
  const { io } = env;
  const { fields, headers, snap } = options;
  const opened = openMetadata(env.ctx, path, !snap);
  if (!opened.ok) {
    io.err(`${opened.message}\n`);
    return 1;
  }
  const md = opened.md;
  let sb = opened.sb;
  if (snap) {
    if (sb.heldRoot === 0 || md.blockProblem(sb.heldRoot, SUPERBLOCK_CSUM_XOR, 'superblock') !== null) {
      io.err('no current metadata snap\n');
      return 1;
    }
    sb = md.superblock(sb.heldRoot);
  }
  const dataBlockSize = BigInt(md.superblock(0).dataBlockSize);
  let damaged = false;
  const details = md.details(sb.deviceDetailsRoot, () => {
    damaged = true;
  });
  if (damaged) {
    io.err('metadata contains errors (run thin_check for details).\n');
    return 1;
  }
  const ids = [...details.keys()].sort((a, b) => a - b);
  let exclusive: Map<number, number> | null = null;
  if (fields.some(needsExclusive)) {
    exclusive = countExclusive(md, sb.dataMappingRoot, ids);
    if (exclusive === null) {
      io.err('metadata contains errors (run thin_check for details).\n');
      return 1;
    }
  }
  const rows: string[][] = headers ? [[...fields]] : [];
  for (const id of ids) {
    const d = details.get(id)!;
    const excl = BigInt(exclusive?.get(id) ?? 0);
    rows.push(fields.map((f) => cell(f, id, d, excl, dataBlockSize)));
  }
  if (fields.length > 0) io.out(renderGrid(rows));
  return 0;
}

function cell(f: Field, id: number, d: DetailsValue, exclusive: bigint, blockSize: bigint): string {
  const mapped = BigInt(d.mappedBlocks);
  const shared = mapped - exclusive;
  switch (f) {
    case 'DEV':
      return String(id);
    case 'MAPPED_BLOCKS':
      return String(mapped);
    case 'EXCLUSIVE_BLOCKS':
      return String(exclusive);
    case 'SHARED_BLOCKS':
      return String(shared);
    case 'MAPPED_SECTORS':
      return String(mapped * blockSize);
    case 'EXCLUSIVE_SECTORS':
      return String(exclusive * blockSize);
    case 'SHARED_SECTORS':
      return String(shared * blockSize);
    case 'MAPPED_BYTES':
      return String(mapped * blockSize * 512n);
    case 'EXCLUSIVE_BYTES':
      return String(exclusive * blockSize * 512n);
    case 'SHARED_BYTES':
      return String(shared * blockSize * 512n);
    case 'MAPPED':
      return formatDiskUnit(mapped * blockSize);
    case 'EXCLUSIVE':
      return formatDiskUnit(exclusive * blockSize);
    case 'SHARED':
      return formatDiskUnit(shared * blockSize);
    case 'TRANSACTION':
      return String(d.transactionId);
    case 'CREATE_TIME':
      return String(d.creationTime);
    case 'SNAP_TIME':
      return String(d.snapshottedTime);
  }
}

/** Each device's count of mappings to data blocks no other mapping uses; null on damage. */
function countExclusive(md: MetadataBytes, topRoot: number, ids: readonly number[]): Map<number, number> | null {
  let damaged = false;
  const onDamage = (): void => {
    damaged = true;
  };
  const roots = md.deviceRoots(topRoot, onDamage);
  const users = new Map<number, number>();
  const blocksOf = new Map<number, number[]>();
  for (const id of ids) {
    const root = roots.get(id);
    if (root === undefined) return null;
    const blocks = md.mappings(root, onDamage).map((m) => m.dataBlock);
    blocksOf.set(id, blocks);
    for (const b of blocks) users.set(b, (users.get(b) ?? 0) + 1);
  }
  if (damaged) return null;
  const out = new Map<number, number>();
  for (const [id, blocks] of blocksOf) out.set(id, blocks.filter((b) => users.get(b) === 1).length);
  return out;
}

/** Right-aligns every column to its widest cell; each cell is followed by a space. */
export function renderGrid(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => `${row.map((c, i) => `${c.padStart(widths[i]!)} `).join('')}\n`).join('');
}
