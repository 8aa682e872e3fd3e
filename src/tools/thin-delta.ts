/**
 * thin_delta 0.9.0 in the lab: compares the mappings of two thin devices and prints the ranges
 * that are the same, different, or present on one side only. Runs are built from mappings whose
 * virtual and data blocks both continue (time stamps are ignored, as 0.9.0 ignores them); the
 * short form merges adjacent ranges of one kind, the --verbose form groups them in elements.
 */
import { SUPERBLOCK_CSUM_XOR } from '../format/layout.js';
import { toolOptions } from './getopt.js';
import { mappingRuns } from './metadata-view.js';
import { openMetadata, type ToolEnv } from './tool-io.js';
import { THIN_DELTA_USAGE, printedHelpOrVersion } from './usage.js';

const LONGS = [
  { name: 'help', arg: 'none', key: 'h' },
  { name: 'version', arg: 'none', key: 'V' },
  { name: 'thin1', arg: 'required', key: '1' },
  { name: 'snap1', arg: 'required', key: '1' },
  { name: 'thin2', arg: 'required', key: '2' },
  { name: 'snap2', arg: 'required', key: '2' },
  { name: 'metadata-snap', arg: 'optional', key: 'm' },
  { name: 'verbose', arg: 'none', key: 'verbose' },
] as const;

type Kind = 'left_only' | 'right_only' | 'different' | 'same';
interface Run {
  vbegin: number;
  dbegin: number;
  len: number;
}

/** Prints what 0.9.0 prints for each compared range. */
interface DiffEmitter {
  range(kind: Kind, vbegin: number, len: number, left: number, right: number): void;
  complete(): void;
}

function simpleEmitter(out: string[]): DiffEmitter {
  let current: { kind: Kind; begin: number; end: number } | null = null;
  const emit = (): void => {
    if (current !== null) out.push(`    <${current.kind} begin="${current.begin}" length="${current.end - current.begin}"/>\n`);
  };
  return {
    range(kind, vbegin, len) {
      if (current !== null && current.kind === kind && current.end === vbegin) {
        current.end += len;
        return;
      }
      emit();
      current = { kind, begin: vbegin, end: vbegin + len };
    },
    complete: emit,
  };
}

function verboseEmitter(out: string[]): DiffEmitter {
  let current: Kind | null = null;
  return {
    range(kind, vbegin, len, left, right) {
      if (current !== kind) {
        if (current !== null) out.push(`    </${current}>\n`);
        out.push(`    <${kind}>\n`);
        current = kind;
      }
      out.push(kind === 'different'
        ? `      <range begin="${vbegin}" left_data_begin="${left}" right_data_begin="${right}" length="${len}"/>\n`
        : `      <range begin="${vbegin}" data_begin="${kind === 'right_only' ? right : left}" length="${len}"/>\n`);
    },
    complete() {
      if (current !== null) out.push(`    </${current}>\n`);
    },
  };
}

/** Walks both run lists in step, splitting runs where they start to differ. */
export function diffRuns(left: readonly Run[], right: readonly Run[], e: DiffEmitter): void {
  let li = 0;
  let ri = 0;
  let l: Run = { vbegin: 0, dbegin: 0, len: 0 };
  let r: Run = { vbegin: 0, dbegin: 0, len: 0 };
  const consume = (m: Run, delta: number): void => {
    m.vbegin += delta;
    m.dbegin += delta;
    m.len -= delta;
  };
  while ((l.len > 0 || li < left.length) && (r.len > 0 || ri < right.length)) {
    if (l.len === 0) l = { ...left[li++]! };
    if (r.len === 0) r = { ...right[ri++]! };
    while (l.len > 0 && r.len > 0) {
      if (l.vbegin < r.vbegin) {
        const delta = Math.min(l.len, r.vbegin - l.vbegin);
        e.range('left_only', l.vbegin, delta, l.dbegin, 0);
        consume(l, delta);
      } else if (l.vbegin > r.vbegin) {
        const delta = Math.min(r.len, l.vbegin - r.vbegin);
        e.range('right_only', r.vbegin, delta, 0, r.dbegin);
        consume(r, delta);
      } else {
        const delta = Math.min(l.len, r.len);
        e.range(l.dbegin === r.dbegin ? 'same' : 'different', l.vbegin, delta, l.dbegin, r.dbegin);
        consume(l, delta);
        consume(r, delta);
      }
    }
  }
  if (l.len > 0) e.range('left_only', l.vbegin, l.len, l.dbegin, 0);
  for (; li < left.length; li++) e.range('left_only', left[li]!.vbegin, left[li]!.len, left[li]!.dbegin, 0);
  if (r.len > 0) e.range('right_only', r.vbegin, r.len, 0, r.dbegin);
  for (; ri < right.length; ri++) e.range('right_only', right[ri]!.vbegin, right[ri]!.len, 0, right[ri]!.dbegin);
  e.complete();
}

export function thinDelta(env: ToolEnv, args: readonly string[]): number {
  const { io } = env;
  const die = (msg: string): number => {
    io.err(`${msg}\n${THIN_DELTA_USAGE}`);
    return 1;
  };
  const parsed = toolOptions('thin_delta', args, 'hVm::', LONGS, THIN_DELTA_USAGE, io);
  if (parsed === null) return 1;
  let snap1: number | null = null;
  let snap2: number | null = null;
  let verbose = false;
  let metadataSnap: { block: number | null } | null = null;
  for (const o of parsed.options) {
    if (printedHelpOrVersion(o.key, io, THIN_DELTA_USAGE)) return 0;
    switch (o.key) {
      case '1':
      case '2': {
        if (!/^[0-9]+$/.test(o.arg!)) return die(`Couldn't parse thin id ${o.key}: '${o.arg}'`);
        if (o.key === '1') snap1 = Number(o.arg);
        else snap2 = Number(o.arg);
        break;
      }
      case 'm':
        if (o.arg !== undefined && !/^[0-9]+$/.test(o.arg)) return die(`Couldn't parse metadata snapshot block: '${o.arg}'`);
        metadataSnap = { block: o.arg === undefined ? null : Number(o.arg) };
        break;
      case 'verbose':
        verbose = true;
        break;
    }
  }
  const path = parsed.operands[0];
  if (path === undefined) return die('No input device provided.');
  if (snap1 === null) return die('--snap1 not specified.');
  if (snap2 === null) return die('--snap2 not specified.');
  const opened = openMetadata(env.ctx, path, metadataSnap === null);
  if (!opened.ok) return die(opened.message);
  const { md, sb: sb0 } = opened;
  let sb = sb0;
  if (metadataSnap !== null) {
    const block = metadataSnap.block ?? sb0.heldRoot;
    if (sb0.heldRoot === 0) return die('no current metadata snap');
    if (block !== sb0.heldRoot) return die('metadata snapshot does not match that in superblock');
    if (md.blockProblem(block, SUPERBLOCK_CSUM_XOR, 'superblock') !== null) return die('no current metadata snap');
    sb = md.superblock(block);
  }
  let damaged = false;
  const roots = md.deviceRoots(sb.dataMappingRoot, () => {
    damaged = true;
  });
  const root1 = roots.get(snap1);
  if (root1 === undefined) return die(`Unable to find mapping tree for snap1 (${snap1})`);
  const root2 = roots.get(snap2);
  if (root2 === undefined) return die(`Unable to find mapping tree for snap2 (${snap2})`);
  const runsOf = (root: number): Run[] =>
    mappingRuns(md.mappings(root, () => {
      damaged = true;
    }), false).map((r) => ({ vbegin: r.vbegin, dbegin: r.dbegin, len: r.length }));
  const left = runsOf(root1);
  const right = runsOf(root2);
  if (damaged) return die('damage in mapping tree, please run thin_check');
  const out: string[] = [];
  // The header describes the superblock that was read: with -m, the snapshot's copy (whose space
  // map roots are cleared and which holds no snapshot of its own), as 0.9.0 prints it.
  out.push(`<superblock uuid="" time="${sb.time}" transaction="${sb.transactionId}" data_block_size="${sb.dataBlockSize}" nr_data_blocks="${sb.dataSm.nrBlocks}"${sb.heldRoot !== 0 ? ` metadata_snap="${sb.heldRoot}"` : ''}>\n`);
  out.push(`  <diff left="${snap1}" right="${snap2}">\n`);
  diffRuns(left, right, verbose ? verboseEmitter(out) : simpleEmitter(out));
  out.push('  </diff>\n</superblock>\n');
  io.out(out.join(''));
  return 0;
}
