/**
 * The lines thin_check, thin_dump, thin_repair, thin_ls, thin_delta and thin_rmap print about
 * damaged metadata, in both releases the lab has: 0.9.0 (the C++ tools of Debian 12, exit status 1)
 * and 1.1.0 (the Rust tools of Debian 13, exit status 64). The wordings are the real tools', as the
 * lab's tools print them on the damage images of docs/metadata-damage.md (test/explain-tool-lines
 * runs them and asks explain about every line). They are read after the kernel's lines and the
 * catalogue's, which are more specific where the two could meet.
 */
import type { KnownSymptom } from './explain-catalogue.js';

const CHECK_0 = 'thin_check 0.9.0';
const CHECK_1X = 'thin_check 1.x';
const TOOLS_0 = 'thin tools 0.9.0';
const TOOLS_1X = 'thin tools 1.x';

const REPAIR =
  'deactivate the pool; lvconvert --repair on LVM, or thin_repair -i OLD -o NEW onto a new metadata device (thin_dump --repair OLD > x.xml; thin_restore -i x.xml -o NEW does the same in two steps); keep the damaged copy, then thin_check NEW';
const REBUILD_SPACE_MAPS =
  'thin_repair (lvconvert --repair) rebuilds both space maps from the trees and loses no mapping; thin_check the result';

/** Lines that only say which part of the metadata thin_check is reading: not damage themselves. */
const PROGRESS: readonly KnownSymptom[] = [
  {
    source: CHECK_0,
    pattern:
      /^(examining superblock|examining devices tree|examining mapping tree|examining top level of mapping tree|checking space map counts|examining metadata snapshot)$/,
    meaning:
      'a progress line of thin_check 0.9.0: the part of the metadata it reads next. Damage found there follows as indented lines; without any, the check passed that part',
    next: 'read the indented lines below it; the exit status (0 sound, 1 damaged) is the verdict',
  },
  {
    source: CHECK_1X,
    pattern:
      /^(Checking thin metadata|device details tree|mapping tree|data space map|metadata space map|Scanning data mappings|checking space map counts)$/,
    meaning:
      'a progress line of the 1.x tools (thin_check, thin_ls): the part of the metadata read next. Damage found there follows; without any, that part is sound',
    next: 'read the lines after it; the exit status (0 sound, 64 damaged) is the verdict',
  },
  {
    source: `${CHECK_0} / ${CHECK_1X}`,
    pattern: /^(TRANSACTION_ID|METADATA_FREE_BLOCKS)=\d+$/,
    meaning:
      "a field thin_check read from the superblock: the pool's transaction id (LVM and Docker compare it with their own records), or the free metadata blocks by the space map",
    next: 'nothing by itself; a transaction id that differs from what LVM or Docker recorded means they disagree with the pool about the last change',
  },
];

/** The superblock: nothing else can be read without it. */
const SUPERBLOCK: readonly KnownSymptom[] = [
  {
    source: `${CHECK_0} / ${TOOLS_0} / ${TOOLS_1X}`,
    pattern: /^(metadata snap: )?bad checksum in superblock(, wanted \d+)?|^superblock is corrupt$/,
    meaning:
      "block 0 of the metadata device (the superblock, or with `metadata snap:` and -m the held snapshot's copy) fails its checksum: overwritten, zeroed, or a write that was lost or torn. Without it no tree can be found, so every tool stops here (exit 1 on 0.9.0, 64 on 1.x)",
    next: `${REPAIR}. The repair needs what the superblock held: 0.9.0 asks for --transaction-id, --data-block-size and --nr-data-blocks; 1.x searches the device for roots and asks for the data block size`,
    needsCheck: true,
  },
  {
    source: 'thin_dump --repair / thin_repair 0.9.0',
    pattern: /The following field needs to be provided on the command line due to corruption in the superblock/,
    meaning:
      'the superblock is damaged, so thin_repair / thin_dump --repair 0.9.0 cannot read the field it names (transaction id, data block size, number of data blocks) and stops with status 1',
    next: 'give it on the command line: --transaction-id (LVM: lvs -o transaction_id; Docker: its metadata), --data-block-size in sectors, --nr-data-blocks (the data device size over the block size)',
  },
];

/** Tree nodes that fail to read, in 0.9.0's words and in 1.x's. */
const TREES: readonly KnownSymptom[] = [
  {
    source: CHECK_0,
    pattern: /bad checksum in btree node \(block \d+\)/,
    meaning:
      'a btree node (device details, or the mapping trees) fails its checksum: the block was overwritten, zeroed, or a write to it was lost. What the node indexed cannot be read: the lines around it say which devices or mappings that is',
    next: `${REPAIR}: the repair keeps every mapping it can still reach, the ones below the bad node are lost`,
    needsCheck: true,
  },
  {
    source: CHECK_0,
    pattern: /missing all mappings for devices: \[/,
    meaning:
      'thin_check 0.9.0 could not read the top level of the mapping tree for these device ids: their whole mapping trees are unreachable, so their data is lost to the pool even though the data blocks are intact',
    next: `${REPAIR}; thin_dump of the damaged copy shows which devices survive`,
    needsCheck: true,
  },
  {
    source: CHECK_0,
    pattern: /missing devices: \[/,
    meaning:
      'thin_check 0.9.0 could not read the device details tree for these ids: their details (mapped count, transaction, times) are lost though their mappings may be intact',
    next: `${REPAIR}; the repair recreates details for mapping trees it finds`,
    needsCheck: true,
  },
  {
    source: CHECK_0,
    pattern: /thin device \d+ is missing mappings \[/,
    meaning:
      "a node of this device's mapping tree could not be read: the virtual blocks in the brackets (to the end when `-`) have no readable mapping, so they read as zeroes or fail after a repair",
    next: `${REPAIR}; the mappings in the range are lost, restore that data from a backup`,
    needsCheck: true,
  },
  {
    source: CHECK_1X,
    pattern: /^(\S.*: )?node error: |checksum failed for node \d+/,
    meaning:
      "the 1.x tools' btree walker met a node that fails to read (its checksum, its header, a child past the end); the prefix says which tree (device details, mapping top-level, a space map) and the base64 word is the path to the node, `effecting keys` the range of keys below it",
    next: `${REPAIR}`,
    needsCheck: true,
  },
  {
    source: CHECK_1X,
    pattern:
      /\d+ nodes in data mapping tree contain errors|\d+ io errors, \d+ checksum errors|Thin device \d+ (has \d+ errors and is missing \d+ mappings|is missing root with \d+ mappings|has unexpected number of mappings)|Check of mappings failed/,
    meaning:
      "thin_check 1.x's summary of the mapping trees: nodes that failed to read, per device the mappings it could not reach against the mapped count in the device details (exit 64)",
    next: `${REPAIR}; the unreachable mappings are lost`,
    needsCheck: true,
  },
  {
    source: TOOLS_1X,
    pattern: /inconsistent device ids/,
    meaning:
      "the device details tree and the mapping tree's top level do not list the same devices, or one of them cannot be read: thin_ls and thin_delta 1.x stop here (the Superblock { .. } after it is Rust's debug print of the superblock read); `metadata snap:` before it is thin_check -m saying it of a held snapshot's trees",
    next: `thin_check (without -m) for the live trees; for a held snapshot, release it (dmsetup message POOL 0 release_metadata_snap) and reserve a new one; ${REPAIR} when the live trees are damaged`,
    needsCheck: true,
  },
];

/** The space maps: counts that disagree with the trees, and their own blocks. */
const SPACE_MAPS: readonly KnownSymptom[] = [
  {
    source: CHECK_0,
    pattern: /(metadata|data) reference counts differ for block \d+, expected \d+, but got \d+/,
    meaning:
      'the space map counts a block differently from the references thin_check 0.9.0 found walking the trees: counted high the block leaks (space lost), counted low the pool could hand it out again while it is in use',
    next: REBUILD_SPACE_MAPS,
    needsCheck: true,
  },
  {
    source: `${CHECK_0} / ${CHECK_1X}`,
    pattern:
      /bad checksum in (metadata index block|space map bitmap) \(block \d+\)|metadata space map: bad checksum in index block|Index entry points to block \(\d+\) that isn't a bitmap/,
    meaning:
      'a block of a space map (its index, or a bitmap of reference counts) fails to read: the counts it held are gone, though the trees (and so every mapping) may be intact',
    next: REBUILD_SPACE_MAPS,
    needsCheck: true,
  },
  {
    source: 'thin_dump --repair 1.x',
    pattern: /found \d+ mapping trees without device details/,
    meaning:
      "the repair's search found mapping trees whose device is not in the device details tree (damaged or lost): it dumps them with details made up from the mappings",
    next: 'check the devices of the dump against what LVM or Docker expects (ids, mapped counts) before restoring it',
  },
];

/** What the other tools say when they meet damage, a missing snapshot, or a wrong command line. */
const OTHER_TOOLS: readonly KnownSymptom[] = [
  {
    source: `thin_dump 0.9.0 / ${TOOLS_1X}`,
    pattern: /metadata contains errors|perhaps you wanted to run with --repair/,
    meaning:
      'thin_dump (or thin_ls) met damage reading the metadata and stopped without a dump (exit 1 on 0.9.0, 64 on 1.x)',
    next: 'thin_check for what is damaged; thin_dump --repair dumps what can still be read',
    needsCheck: true,
  },
  {
    source: 'thin_delta / thin_rmap 0.9.0',
    pattern: /[Dd]amage in mapping tree, please run thin_check|Unable to find mapping tree for (snap|thin)\d+/,
    meaning:
      'thin_delta or thin_rmap 0.9.0 met a mapping tree it cannot read (or no tree for the device asked for) and stopped with status 1',
    next: 'thin_check the metadata; check the device ids (thin_ls, thin_dump) of --snap1/--snap2',
  },
  {
    source: `${TOOLS_0} / ${TOOLS_1X}`,
    pattern: /no current metadata snap|No metadata snapshot found\./,
    meaning:
      'a tool was asked to read the held metadata snapshot (-m) but the superblock holds none (no reserve_metadata_snap, or it was released)',
    next: 'dmsetup message POOL 0 reserve_metadata_snap first (and release_metadata_snap after), or run without -m on an inactive pool',
  },
  {
    source: 'thin tools',
    pattern: /^Usage: thin_\w+ /,
    meaning: 'the tool printed its usage: an option was missing, unknown, or wrong, and nothing was read',
    next: "the tool's --help lists its options; 0.9.0 and 1.x take different ones",
  },
  {
    source: 'thinlab',
    pattern: /^thinlab: not modelled: /,
    meaning:
      'the lab refused what it does not model rather than print a success the real system might not: the line names what, and the document that says so',
    next: 'run it on the real tool or kernel (thinlab conform runs a script on a real kernel VM), or rephrase the rehearsal around it',
  },
];

/** Every thin-tool line explain knows, read after the kernel's and the catalogue's. */
export const THIN_TOOL_SYMPTOMS: readonly KnownSymptom[] = [
  ...PROGRESS,
  ...SUPERBLOCK,
  ...TREES,
  ...SPACE_MAPS,
  ...OTHER_TOOLS,
];
