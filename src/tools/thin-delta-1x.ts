/**
 * thin_delta as thin-provisioning-tools 1.1.0 (debian13) runs it (src/commands/thin_delta.rs,
 * src/thin/delta.rs and delta_visitor.rs of v1.1.0). It checks the input file, then that each side
 * is named (`--thin2 or --root2 not specified`), opens the metadata (exclusively unless -m), reads
 * the superblock (the held snapshot's with -m), and requires the details and the mapping tree to
 * hold the same device ids (`inconsistent device ids: Some(Superblock { .. })`, Rust's debug print).
 * It then reads the left tree whole and the right tree whole with 1.1.0's walker (btree-walk-1x.ts),
 * whose first error ends the run with nothing printed, and writes the diff with quick_xml: the
 * superblock line without `version` or `metadata_snap` (and `flags="1"` on needs_check), and no
 * newline after `</superblock>`. Adjacent ranges of one kind merge, in --verbose too (0.9.0 printed
 * each run of the verbose form apart). Every error is one line, status 64.
 *
 * A root given by block (`--root1`) is read as a mapping tree whatever it is: a top-level tree's
 * values read as block-and-time pairs, as 1.1.0 reads them. Both `--thin1` and `--root1` for one
 * side get clap's conflict message (clap.ts). Not modelled, refused by name: a held snapshot past
 * the end of the device, keys or blocks beyond 2^53.
 */
import {
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  MAPPING_VALUE_SIZE,
  NEEDS_CHECK_FLAG,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
} from '../format/layout.js';
import { keySet1x, walkTree1x } from './btree-walk-1x.js';
import type { ToolRun } from './define-tool.js';
import { MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { type DiffEmitter, diffRuns, type Kind, type Run, simpleEmitter } from './delta-runs.js';
import { superblockDebug } from './thin-ls-1x.js';
import { openInput1x, type ToolEnv } from './tool-io.js';

/** A status of 1 under 1.1.0: a case the lab does not model (defineTool refuses it by name). */
const UNMODELLED = 1;

class Unmodelled extends Error {}

/** One side of the diff: a device id (`--thin1`) or a root block (`--root1`). */
type Side = { readonly dev: bigint } | { readonly root: bigint };

interface DeltaOptions1x {
  readonly sides: Map<string, string>;
  snap: boolean;
  verbose: boolean;
}

/** The run of thin_delta 1.1.0, fed the options clap accepted. */
export function deltaRun1x(env: ToolEnv): ToolRun {
  const o: DeltaOptions1x = { sides: new Map(), snap: false, verbose: false };
  return {
    option: (key, arg) => {
      if (key === 'm') o.snap = true;
      else if (key === 'verbose') o.verbose = true;
      else o.sides.set(key, arg!);
      return undefined;
    },
    run: (operands) => {
      try {
        return delta1x(env, o, operands[0]!);
      } catch (e) {
        if (e instanceof Unmodelled) return UNMODELLED;
        throw e;
      }
    },
  };
}

/** The side named by `thin` (a device id) or `root` (a block), or null when neither is. */
function sideOf(o: DeltaOptions1x, thin: string, root: string): Side | null {
  const dev = o.sides.get(thin);
  const block = o.sides.get(root);
  // clap refused both already (thin-delta.ts: the conflicts of its command line).
  if (dev !== undefined && block !== undefined) throw new Error('thin_delta: --thinN with --rootN got past clap');
  if (dev !== undefined) return { dev: BigInt(dev) };
  return block === undefined ? null : { root: BigInt(block) };
}

function delta1x(env: ToolEnv, o: DeltaOptions1x, path: string): number {
  const fail = (message: string): number => {
    env.io.err(`${message}\n`);
    return FAILURE_1X;
  };
  const input = openInput1x(env.ctx, path, false);
  if (!input.ok) return fail(input.message.replace(/\n$/, ''));
  if (input.bytes.length < BLOCK_SIZE) return fail('Metadata device/file too small.  Is this binary metadata?');
  const left = sideOf(o, '1', 'root1');
  if (left === null) return fail('--thin1 or --root1 not specified');
  const right = sideOf(o, '2', 'root2');
  if (right === null) return fail('--thin2 or --root2 not specified');
  // The engine opens the metadata exclusively unless it reads the held snapshot.
  if (!o.snap) {
    const exclusive = openInput1x(env.ctx, path, true);
    if (!exclusive.ok) return fail(exclusive.message.replace(/\n$/, ''));
  }
  const md = new MetadataBytes(input.bytes);
  const sb = readSuperblock(md, o.snap);
  if (typeof sb === 'string') return fail(sb);
  const consistent = [
    keySet1x(md, sb.dataMappingRoot, ROOT_VALUE_SIZE),
    keySet1x(md, sb.deviceDetailsRoot, DETAILS_VALUE_SIZE),
  ];
  if (consistent.some((ids) => ids === null) || consistent[0]!.join() !== consistent[1]!.join())
    return fail(`inconsistent device ids: Some(${superblockDebug(md, sb)})`);
  const roots = new Map<bigint, bigint>();
  walkTree1x(md, sb.dataMappingRoot, ROOT_VALUE_SIZE, (k, v) => roots.set(k, md.u64Big(v)));
  // Each side is looked up and read whole before the next: the left's error comes first.
  const sides: Run[][] = [];
  for (const [side, name] of [
    [left, 'snap1'],
    [right, 'snap2'],
  ] as const) {
    const root = 'dev' in side ? roots.get(side.dev) : side.root;
    if (root === undefined && 'dev' in side) return fail(`Unable to find mapping tree for ${name} (${side.dev})`);
    const runs = mappingRuns1x(md, root!);
    if (typeof runs === 'string') return fail(runs);
    sides.push(runs);
  }
  env.io.out(deltaXml(md, sb, [left, right], sides, o.verbose));
  return 0;
}

/** read_superblock (or read_superblock_snap with -m): the superblock, or 1.1.0's error. */
function readSuperblock(md: MetadataBytes, snap: boolean): RawSuperblock | string {
  const live = md.superblock(0);
  if (live.storedCsum !== live.computedCsum) return 'bad checksum in superblock';
  if (!snap) return live;
  if (live.heldRoot === 0) return 'no current metadata snap';
  if (!md.has(live.heldRoot)) throw new Unmodelled('a held snapshot past the end of the device');
  const held = md.superblock(live.heldRoot);
  return held.storedCsum === held.computedCsum ? held : 'bad checksum in superblock';
}

/** A safe integer from a u64 the lab prints, or a refusal by name. */
function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Unmodelled('a key or block beyond 2^53');
  return Number(n);
}

/**
 * get_mappings: the tree at `root` read whole into runs whose virtual and data blocks both go up
 * by one (time stamps ignored), or the walker's error.
 */
function mappingRuns1x(md: MetadataBytes, root: bigint): Run[] | string {
  const runs: Run[] = [];
  // A root too large for a safe integer is past the end of any device: the walker refuses it so.
  const block = root > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(root);
  const result = walkTree1x(md, block, MAPPING_VALUE_SIZE, (k, v) => {
    const vblock = safe(k);
    const dblock = safe(md.u64Big(v) >> 24n);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.vbegin + last.len === vblock && last.dbegin + last.len === dblock) last.len++;
    else runs.push({ vbegin: vblock, dbegin: dblock, len: 1 });
  });
  return result.ok ? runs : result.error;
}

/**
 * The verbose form of 1.1.0: adjacent ranges of one kind merged first (its DeltaRunBuilder, which
 * keeps the first range's data blocks), then grouped in one element per kind.
 */
function verboseEmitter1x(out: string[]): DiffEmitter {
  let open: Kind | null = null;
  let run: { kind: Kind; begin: number; len: number; left: number; right: number } | null = null;
  const write = (): void => {
    if (run === null) return;
    if (open !== run.kind) {
      if (open !== null) out.push(`    </${open}>\n`);
      out.push(`    <${run.kind}>\n`);
      open = run.kind;
    }
    out.push(
      run.kind === 'different'
        ? `      <range begin="${run.begin}" left_data_begin="${run.left}" right_data_begin="${run.right}" length="${run.len}"/>\n`
        : `      <range begin="${run.begin}" data_begin="${run.kind === 'right_only' ? run.right : run.left}" length="${run.len}"/>\n`,
    );
  };
  return {
    range(kind, begin, len, left, right) {
      if (run !== null && run.kind === kind && run.begin + run.len === begin) {
        run.len += len;
        return;
      }
      write();
      run = { kind, begin, len, left, right };
    },
    complete() {
      write();
      if (open !== null) out.push(`    </${open}>\n`);
    },
  };
}

/** The diff as 1.1.0's quick_xml writer prints it: 0.9.0's layout, without the last newline. */
function deltaXml(
  md: MetadataBytes,
  sb: RawSuperblock,
  sides: readonly Side[],
  runs: Run[][],
  verbose: boolean,
): string {
  const nrDataBlocks = md.u64Big(sb.block * BLOCK_SIZE + SB.dataSpaceMapRoot + SM_ROOT.nrBlocks);
  const flags = (sb.flags & NEEDS_CHECK_FLAG) !== 0 ? ' flags="1"' : '';
  const attr = (side: Side, name: 'left' | 'right'): string =>
    'dev' in side ? `${name}="${side.dev}"` : `${name}_root="${side.root}"`;
  const out = [
    `<superblock uuid="" time="${sb.time}" transaction="${sb.transactionId}"${flags} data_block_size="${sb.dataBlockSize}" nr_data_blocks="${nrDataBlocks}">\n`,
    `  <diff ${attr(sides[0]!, 'left')} ${attr(sides[1]!, 'right')}>\n`,
  ];
  diffRuns(runs[0]!, runs[1]!, verbose ? verboseEmitter1x(out) : simpleEmitter(out));
  out.push('  </diff>\n</superblock>');
  return out.join('');
}
