/**
 * `dmsetup ls --tree` and the `-o` options of ls and deps (lvm2 libdm/dm-tools/dmsetup.c's
 * _display_tree and _process_options, libdm-deptree.c's tree; fixtures/kernel/209). The tree is
 * built as libdevmapper builds it: each device in the listing order is added under the tree's
 * root, then what it uses under it, depth first; a device that something uses leaves the top
 * level, and one that uses nothing (a device of another driver, or one with no table) is at the
 * bottom level, where `inverted` starts. It is drawn with ASCII symbols (the VM's locale is not
 * UTF-8) and cut at 80 columns, standard output not being a terminal.
 */
import { type BlockDev, type DmDevice, devNumber, type Machine } from '../model/machine.js';

/** How ls and deps name a device (-o devno, blkdevname, devname). */
export type DeviceNaming = 'devno' | 'blkdevname' | 'devname';

/** The options of -o a word may be a prefix of (strncmp on the word's length), in dmsetup's order. */
function matchOption<T extends string>(word: string, options: readonly T[]): T | undefined {
  return options.find((o) => o.startsWith(word));
}

const NAMINGS: readonly DeviceNaming[] = ['devno', 'blkdevname', 'devname'];

/** -o's naming (the last word wins), or null when a word is none of them. */
export function deviceNaming(text: string): DeviceNaming | null {
  let naming: DeviceNaming = 'devno';
  for (const word of text === '' ? [] : text.split(',')) {
    const found = matchOption(word, NAMINGS);
    if (found === undefined) return null;
    naming = found;
  }
  return naming;
}

/** The text dmsetup's complaint quotes: the rest of -o from the first word it does not know. */
export function badOption(text: string, known: readonly string[] = NAMINGS): string {
  const words = text.split(',');
  const at = words.findIndex((w) => matchOption(w, known) === undefined);
  return words.slice(at).join(',');
}

const TREE_OPTIONS = [
  'device',
  'blkdevname',
  'nodevice',
  'status',
  'table',
  'active',
  'open',
  'uuid',
  'rw',
  'utf',
  'vt100',
  'ascii',
  'inverted',
  'compact',
  'notrunc',
] as const;

type TreeOption = (typeof TREE_OPTIONS)[number];

/** Tree options the lab does not draw: the other symbol sets, and the target lines dmsetup leaves empty. */
const UNDRAWN: ReadonlySet<TreeOption> = new Set(['status', 'table', 'utf', 'vt100']);

/** The tree's switches as -o sets them. */
interface TreeSwitches {
  device: boolean;
  blkdevname: boolean;
  truncate: boolean;
  active: boolean;
  open: boolean;
  rw: boolean;
  uuid: boolean;
  inverted: boolean;
  compact: boolean;
}

function treeSwitches(text: string | null): TreeSwitches | { refused: string } {
  const s: TreeSwitches = {
    device: true,
    blkdevname: false,
    truncate: true,
    active: false,
    open: false,
    rw: false,
    uuid: false,
    inverted: false,
    compact: false,
  };
  for (const word of text === null || text === '' ? [] : text.split(',')) {
    const option = matchOption(word, TREE_OPTIONS)!;
    if (UNDRAWN.has(option)) return { refused: `dmsetup ls --tree -o ${option}` };
    if (option === 'nodevice') s.device = false;
    else if (option === 'notrunc') s.truncate = false;
    else if (option !== 'ascii') s[option as keyof TreeSwitches] = true;
  }
  return s;
}

/** The complaint about --tree's -o, or null when every word is one of its options. */
export function treeOptionsError(text: string): string | null {
  const words = text === '' ? [] : text.split(',');
  if (words.every((w) => matchOption(w, TREE_OPTIONS) !== undefined)) return null;
  return `Tree options not recognised: ${badOption(text, TREE_OPTIONS)}.`;
}

interface TreeNode {
  readonly dev: BlockDev | null;
  readonly uses: TreeNode[];
  readonly usedBy: TreeNode[];
}

/** libdevmapper's dependency tree of every device, and its root. */
class DepTree {
  readonly root: TreeNode = { dev: null, uses: [], usedBy: [] };
  private readonly nodes = new Map<BlockDev, TreeNode>();

  constructor(private readonly m: Machine) {
    for (const dev of m.deviceList()) this.add(this.root, dev);
  }

  childrenOf(node: TreeNode, inverted: boolean): TreeNode[] {
    return inverted ? node.usedBy : node.uses;
  }

  countChildren(node: TreeNode, inverted: boolean): number {
    if (inverted) return this.root.uses.includes(node) ? 0 : node.usedBy.length;
    return node.uses.includes(this.root) ? 0 : node.uses.length;
  }

  private link(parent: TreeNode, child: TreeNode): void {
    if (parent.uses.includes(child)) return;
    parent.uses.push(child);
    child.usedBy.push(parent);
  }

  private unlink(parent: TreeNode, child: TreeNode): void {
    const at = parent.uses.indexOf(child);
    if (at < 0) return;
    parent.uses.splice(at, 1);
    child.usedBy.splice(child.usedBy.indexOf(parent), 1);
  }

  /** _link_tree_nodes: a node used by another leaves the top level; one that uses another leaves the bottom. */
  private linkTreeNodes(parent: TreeNode, child: TreeNode): void {
    if (parent === this.root) {
      if (this.countChildren(child, true) > 0) return;
    } else this.unlink(this.root, child);
    this.unlink(parent, this.root);
    this.link(parent, child);
  }

  private add(parent: TreeNode, dev: BlockDev): void {
    let node = this.nodes.get(dev);
    const isNew = node === undefined;
    if (node === undefined) {
      node = { dev, uses: [], usedBy: [] };
      this.nodes.set(dev, node);
    }
    this.linkTreeNodes(parent, node);
    if (!isNew) return;
    const deps = dev.kind === 'dm' ? this.m.dependencies(dev) : [];
    if (deps.length === 0) this.link(node, this.root);
    for (const dep of deps) this.add(node, dep);
  }
}

/** What dmsetup's tree writes: characters counted by column, cut at the terminal's width. */
class TreeWriter {
  text = '';
  x = 1;
  private lastChar = '';
  readonly more: boolean[] = [];
  readonly width: number[] = [];

  constructor(
    private readonly truncate: boolean,
    private readonly termWidth = 80,
  ) {}

  char(c: string): void {
    this.x++;
    if (!this.truncate) {
      this.text += c;
      return;
    }
    if (this.x <= this.termWidth) this.text += c;
    if (this.x === this.termWidth + 1) {
      if (this.lastChar !== '') this.text += '...';
      else {
        this.lastChar = c;
        this.x--;
      }
    }
  }

  string(s: string): void {
    for (const c of s) this.char(c);
  }

  newline(): void {
    if (this.lastChar !== '' && this.x === this.termWidth) this.text += this.lastChar;
    this.lastChar = '';
    this.text += '\n';
    this.x = 1;
  }

  prefix(depth: number): void {
    for (let d = 0; d < depth; d++) {
      this.string(' '.repeat(this.width[d]! + 1));
      if (d === depth - 1) this.string(this.more[depth] ? '|-' : '`-');
      else this.string(this.more[d + 1] ? '| ' : '  ');
    }
  }
}

/** The attributes -o active, rw, open and uuid add after a device, in dmsetup's order. */
function attributes(dev: DmDevice, s: TreeSwitches): string {
  const parts = [
    ...(s.active ? [dev.suspended ? 'SUSPENDED' : 'ACTIVE'] : []),
    ...(s.rw ? [dev.readOnly ? 'RO' : 'RW'] : []),
    ...(s.open ? [String(dev.openCount)] : []),
    ...(s.uuid ? [dev.uuid ?? ''] : []),
  ];
  return parts.length === 0 ? '' : ` [${parts.join(', ')}]`;
}

/** The block device name sysfs gives, or null for a device that never had a table (no gendisk). */
export function blockDeviceName(dev: BlockDev): string | null {
  if (dev.kind === 'dm' && dev.live === null && dev.inactive === null) return null;
  return dev.kernelName;
}

function drawNode(w: TreeWriter, s: TreeSwitches, node: TreeNode, depth: number, last: boolean, hasChildren: boolean) {
  const dev = node.dev!;
  const name = dev.kind === 'dm' ? dev.name : '';
  if (name === '' && !s.device && !s.blkdevname) return;
  w.more[depth] = !last;
  w.width[depth] = 0;
  const firstOnLine = w.x === 1;
  if (!s.compact || firstOnLine) w.prefix(depth);
  const offset = w.x;
  if (s.compact && !firstOnLine) w.string(w.more[depth] ? '-+-' : '---');
  w.string(name);
  const blk = s.blkdevname ? blockDeviceName(dev) : null;
  // A device of another driver has an empty name, not none: its number still follows a space.
  if (blk !== null) w.string(` <${blk}>`);
  if (s.device) w.string(` (${devNumber(dev)})`);
  if (dev.kind === 'dm') w.string(attributes(dev, s));
  if (s.compact) w.width[depth] = w.x - offset;
  if (!s.compact || !hasChildren) w.newline();
}

function walk(tree: DepTree, w: TreeWriter, s: TreeSwitches, node: TreeNode, depth: number): void {
  const children = tree.childrenOf(node, s.inverted);
  children.forEach((child, i) => {
    const hasChildren = tree.countChildren(child, s.inverted) > 0;
    drawNode(w, s, child, depth, i === children.length - 1, hasChildren);
    if (hasChildren) walk(tree, w, s, child, depth + 1);
  });
}

/** `dmsetup ls --tree [-o OPTIONS]`: the text, or the lab's refusal of an option it does not draw. */
export function treeText(m: Machine, options: string | null): { text: string } | { refused: string } {
  const s = treeSwitches(options);
  if ('refused' in s) return s;
  const tree = new DepTree(m);
  const w = new TreeWriter(s.truncate);
  walk(tree, w, s, tree.root, 0);
  return { text: w.text };
}

/** A device as ls -o and deps -o name it: its number, or its sysfs name, or its dm name; the number where sysfs has none. */
export function namedDevice(dev: BlockDev, naming: DeviceNaming, devnoSeparator: string): string {
  const devno = devNumber(dev).replace(':', devnoSeparator);
  if (naming === 'devno') return devno;
  const blk = blockDeviceName(dev);
  if (blk === null) return devno;
  return naming === 'devname' && dev.kind === 'dm' ? dev.name : blk;
}
