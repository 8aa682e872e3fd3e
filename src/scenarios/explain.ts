/**
 * `thinlab explain SYMPTOM`: what a line seen in the field says about the pool, in plain words,
 * and which library scenarios reproduce it. A symptom is a kernel log line (dm-thin.md §8), a
 * `dmsetup status` line of a pool or a thin (dm-thin.md §6, read field by field), or an error
 * Docker, LVM or a tool printed (docker-devicemapper.md §4). Scenarios are found three ways, best
 * first: a `symptoms:` entry of the scenario matches; an expected output of one of its steps
 * matches; or the symptom implies a pool state (a mode, needs_check) that the scenario checks.
 */
import type { PoolMode } from '../model/lifecycle.js';
import { parsePoolStatus, parseThinStatus, splitStatusLine } from '../model/status-line.js';
import { CATALOGUE_SYMPTOMS, catalogueReference, type KnownSymptom } from './explain-catalogue.js';
import { THIN_TOOL_SYMPTOMS } from './explain-tools.js';
import type { Expectation, Scenario } from './types.js';

export type { KnownSymptom };

const KERNEL = 'kernel log (dm-thin)';
const DOCKER = 'Docker devicemapper error';

/** Generic lines: the kernel's, libdevmapper's and the writers' (the first match wins). */
const GENERIC_SYMPTOMS: readonly KnownSymptom[] = [
  {
    source: KERNEL,
    pattern: /reached low water mark for data device: sending event/,
    meaning:
      'free data blocks fell to the low water mark of the pool table: the pool still works, but is about to run out; the event is for a daemon (dmeventd, lvm autoextend) to grow the pool',
    next: 'grow the data device and reload the pool with a longer table (lvextend on LVM), or free space (delete thin devices, discard)',
    mode: 'write',
  },
  {
    source: KERNEL,
    pattern: /switching pool to out-of-data-space \(queue IO\) mode/,
    meaning:
      'every data block is in use: writes that need a new block are held (queue_if_no_space) until space appears or no_space_timeout (60 s by default) fails them; reads and writes to blocks a thin already owns still work',
    next: 'extend the pool now (the held writes then complete), or delete/discard and let a commit free the blocks',
    mode: 'out_of_data_space',
  },
  {
    source: KERNEL,
    pattern: /switching pool to out-of-data-space \(error IO\) mode/,
    meaning:
      'the pool is out of data space and fails writes that need a new block with ENOSPC at once: either the table asks for error_if_no_space or no_space_timeout expired while writes were queued (those were failed too; the data of buffered writes is lost)',
    next: 'free or add space; then retry the failed writes: nothing brings back what the writers were told failed',
    mode: 'out_of_data_space',
  },
  {
    source: KERNEL,
    pattern: /switching pool to write mode/,
    meaning: 'the pool is back to normal (write mode) after a commit found free data blocks, or after a resize',
    next: 'nothing; check why it ran out if it did',
    mode: 'write',
  },
  {
    source: KERNEL,
    pattern: /reached low water mark for metadata device/,
    meaning:
      'free metadata blocks fell below the threshold (a quarter of the device, up to 1024 blocks): the metadata device is filling up with mappings and snapshots',
    next: 'grow the metadata device (lvextend --poolmetadatasize) before it runs out',
  },
  {
    source: KERNEL,
    pattern: /No free metadata blocks|unable to allocate new metadata block/,
    meaning:
      'the metadata device is full: the pool goes read-only (status `ro`); an operation that needed a metadata block is aborted and needs_check may be set',
    next: 'grow the metadata device and resume the pool; if needs_check is set, run thin_check (and thin_repair) before it can be written again',
    mode: 'out_of_metadata_space',
  },
  {
    source: KERNEL,
    pattern: /metadata operation '([^']+)' failed: error = -28/,
    meaning:
      'a metadata operation ran out of metadata space (ENOSPC): the transaction was aborted (the last commit is back), needs_check is set and the pool is read-only',
    next: 'grow the metadata device, then thin_check/thin_repair to clear needs_check (the pool refuses write mode until then)',
    mode: 'read_only',
    needsCheck: true,
  },
  {
    source: KERNEL,
    pattern: /metadata operation '([^']+)' failed: error = -5/,
    meaning:
      'the metadata device returned an I/O error: the transaction was aborted (writes since the last commit are gone), needs_check is set and the pool is read-only; fail mode follows if the abort or the flag could not be read back',
    next: 'fix the metadata device, deactivate the pool, run thin_check and thin_repair, reactivate',
    mode: 'read_only',
    needsCheck: true,
  },
  {
    source: KERNEL,
    pattern: /metadata operation '([^']+)' failed/,
    meaning:
      'a metadata operation failed: the transaction was aborted back to the last commit, needs_check is set and the pool is read-only',
    next: 'thin_check the metadata (deactivated), thin_repair if it reports errors',
    mode: 'read_only',
    needsCheck: true,
  },
  {
    source: KERNEL,
    pattern: /aborting current metadata transaction/,
    meaning:
      'the kernel threw away everything since the last commit after a failed metadata operation (new blocks, broken sharing, discards); the pool goes read-only with needs_check',
    next: 'find the failed operation in the line before; repair before writing again',
    mode: 'read_only',
    needsCheck: true,
  },
  {
    source: KERNEL,
    pattern: /failed to abort metadata transaction|failed to set 'needs_check' flag|switching pool to fail mode/,
    meaning:
      'the metadata device cannot even be read back: the pool is in fail mode, every I/O to its thins fails with EIO, no message works, and it never leaves fail mode while it exists',
    next: 'remove the thins and the pool, fix or replace the metadata device, thin_repair, and create the pool again (it comes back at its last commit)',
    mode: 'fail',
  },
  {
    source: KERNEL,
    pattern: /switching pool to read-only mode/,
    meaning:
      'the pool is read-only: reads and writes to owned blocks work, writes that need a block fail with EIO, messages (create, delete, snapshot) are refused',
    next: 'if needs_check is set: deactivate, thin_check/thin_repair, reactivate; if the table asks for read_only: reload without it',
    mode: 'read_only',
  },
  {
    source: KERNEL,
    pattern: /unable to service pool target messages in READ_ONLY or FAIL mode/,
    meaning:
      'a message (create_thin, create_snap, delete, set_transaction_id) was sent to a pool in read-only, out-of-metadata-space or fail mode and refused: Docker sees this as "dm_task_run failed"',
    next: 'get the pool back to write mode first (repair needs_check, grow the metadata)',
    mode: 'read_only',
    entries: [4],
  },
  {
    source: KERNEL,
    pattern: /unable to switch pool to write mode until repaired/,
    meaning:
      'needs_check is set: the pool stays read-only whatever the table asks until the metadata is checked and repaired',
    next: 'deactivate the pool, thin_check (and thin_repair) the metadata, clear the flag, reactivate',
    mode: 'read_only',
    needsCheck: true,
  },
  {
    source: KERNEL,
    pattern: /unable to grow the (data|metadata) device until repaired/,
    meaning: 'needs_check is set: the pool refuses to grow, so extending it does not help until it is repaired',
    next: 'repair the metadata first (thin_check, thin_repair), then grow',
    needsCheck: true,
  },
  {
    source: KERNEL,
    pattern: /growing the (data|metadata) device from (\d+) to (\d+) blocks/,
    meaning:
      'the pool took a larger table or metadata device at resume; a pool that was out of space returns to write mode at the commit that follows',
    next: 'nothing',
    mode: 'write',
  },
  {
    source: KERNEL,
    pattern: /sb_check failed|couldn't read superblock|superblock validator check failed/,
    meaning:
      'the metadata device does not hold a readable dm-thin superblock (wrong device, overwritten, or damaged): the pool cannot be created on it',
    next: 'check the device is the right one; thin_repair from a good copy or thin_restore from a dump',
  },
  {
    source: 'kernel log (block layer)',
    pattern: /Buffer I\/O error on dev(ice)? dm-|I\/O error, dev dm-/,
    meaning:
      'a write or read to a dm device failed with EIO: a thin whose pool is read-only or in fail mode, a pool whose data device fails, or a block that needed allocation on a full pool in error mode; for buffered writes the data is lost',
    next: 'look at the pool status: mode and needs_check tell which; check the disks under the pool',
    entries: [4],
  },
  {
    source: 'dmsetup (libdevmapper)',
    pattern: /message ioctl on .* failed: Operation not supported/,
    meaning:
      'the pool refused a message (create_thin, create_snap, delete, set_transaction_id) with EOPNOTSUPP: it is read-only, out of metadata space or in fail mode',
    next: 'dmsetup status on the pool; get it back to write mode first',
    mode: 'read_only',
  },
  {
    source: 'dmsetup (libdevmapper)',
    pattern: /message ioctl on .* failed: No data available/,
    meaning:
      'the message named a thin device id the pool does not have (ENODATA): deleted already, or never created (a crash rolled its creation back)',
    next: 'compare the ids the caller expects with `thin_ls` on the metadata (Docker treats this answer to delete as success since moby#35333)',
  },
  {
    source: 'dmsetup (libdevmapper)',
    pattern: /message ioctl on .* failed: Device or resource busy/,
    meaning:
      'a delete was refused (EBUSY) because the thin device is still active (open): something holds it, a mount in another namespace for instance',
    next: 'find and remove the active thin table first (dmsetup remove), then delete',
  },
  {
    source: 'dmsetup (libdevmapper)',
    pattern: /message ioctl on .* failed: File exists/,
    meaning:
      "create_thin or create_snap named an id the pool already has (EEXIST): the caller's records and the pool disagree, as after a crash between the two",
    next: 'pick another id, or reconcile the records with thin_ls',
  },
  {
    source: DOCKER,
    pattern: /Thin Pool has (\d+) free data blocks which is less than minimum required (\d+) free data blocks/,
    meaning:
      "Docker's own gate (dm.min_free_space, 10% by default) refused a new device: the kernel pool still works, but has less free data than Docker wants before it creates a layer",
    next: 'delete images and containers, grow the pool, or lower dm.min_free_space',
    mode: 'write',
    entries: [1],
  },
  {
    source: DOCKER,
    pattern: /Thin Pool has (\d+) free metadata blocks which is less than minimum required/,
    meaning: "Docker refused a new device because the pool's metadata is nearly full (too many snapshots for its size)",
    next: 'grow the metadata device (or recreate the pool with a larger one), remove unused images',
    mode: 'write',
    entries: [2],
  },
  {
    source: DOCKER,
    pattern: /Error running \w+|dm_task_run failed/,
    meaning:
      'a device-mapper call of Docker failed in the kernel; for a pool message (create_snap, delete, set_transaction_id) the pool is read-only or in fail mode (out of space, a failed metadata operation), or the device id is wrong',
    next: 'dmsetup status on the pool: the mode word and needs_check say which; fix the pool before retrying',
    mode: 'read_only',
    entries: [20, 4],
  },
  {
    source: DOCKER,
    pattern: /Base Device UUID verification failed/,
    meaning:
      "blkid could not read the base device's UUID (the `exit status 2`): the pool filled up and now needs thin_check/thin_repair, or it is another pool than the one the daemon recorded",
    next: 'loop-lvm: grow the filesystem under the loop files, take the pool down, thin_repair the metadata and swap the repaired file in; LVM: extend the VG, deactivate and reactivate the pool; check that the storage options name the same pool',
    needsCheck: true,
    entries: [5],
  },
  {
    source: DOCKER,
    pattern: /Unable to take ownership of thin-pool/,
    meaning: 'the pool Docker was given already has data or a transaction id from an earlier install',
    next: 'remove and recreate the pool, or restore the matching /var/lib/docker',
    entries: [8],
  },
  {
    source: 'LVM',
    // LVM 2.03 names the pool's dm device and its number: `Thin pool vg-pool-tpool (254:2) transaction_id is 5, ...`.
    pattern: /Thin pool (?:\S+ \(\d+:\d+\) )?transaction_id is (\d+), while expected (\d+)/,
    meaning:
      "the transaction id in the pool's metadata (moved by Docker's set_transaction_id) and the one LVM recorded disagree, so LVM will not activate the pool",
    next: "vgcfgbackup, set transaction_id in the backup to the pool's value, vgcfgrestore --force",
    entries: [9],
  },
  {
    source: 'LVM',
    pattern: /has unexpected transaction id (\d+), expecting (\d+)/,
    meaning:
      "LVM's lvcreate found the pool's kernel transaction id moved away from the one in LVM's metadata (another program sent set_transaction_id), and refuses a new thin volume with the odd 'free space ... reached threshold' line",
    next: "vgcfgbackup, set transaction_id in the backup to the pool's value, vgcfgrestore --force (fixtures/lvm/87)",
  },
  {
    source: 'LVM',
    pattern: /thin(?:-pool)? target support missing from kernel|Required device-mapper target\(s\) not detected/,
    meaning:
      'the kernel has no thin-pool target and LVM could not load it: its own `/sbin/modprobe dm-thin-pool` failed (the module file is missing, e.g. a kernel without its extra modules package)',
    next: 'install the kernel modules package that has dm-thin-pool.ko, then modprobe dm-thin-pool (fixtures/lvm/89)',
  },
  {
    source: 'I/O error to a writer',
    pattern: /No space left on device/i,
    meaning:
      'a write needed a new data block and the pool had none: the pool is out of data space in error mode (error_if_no_space, or no_space_timeout expired), or the filesystem inside the thin is full',
    next: "free or add pool space; compare with the filesystem's own free space",
    mode: 'out_of_data_space',
  },
  {
    source: 'I/O error to a writer',
    pattern: /Input\/output error/,
    meaning:
      'the I/O failed with EIO: the pool is read-only (a write that needed a block) or in fail mode (everything), or a device under the pool returned an error',
    next: 'dmsetup status on the pool and the kernel log tell which',
  },
];

/**
 * Every line explain knows, most specific first (the first match wins): the catalogue's messages
 * before the generic lines, whose tails they share.
 */
export const KNOWN_SYMPTOMS: readonly KnownSymptom[] = [
  ...CATALOGUE_SYMPTOMS,
  ...GENERIC_SYMPTOMS,
  ...THIN_TOOL_SYMPTOMS,
];

/** The words of a pool status line, read as dm-thin's pool_status prints them. */
export interface PoolStatusReading {
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly mode: PoolMode | 'fail';
  readonly needsCheck: boolean;
  readonly summary: string;
}

const pct = (used: number, total: number): string =>
  total === 0 ? '0%' : `${Math.round((used / total) * 1000) / 10}%`;

/** Reads a pool status line field by field, or null when the text is not one. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one field per status-line position, read in order; the cases are the dm-thin status fields of dm-thin.md.
export function readPoolStatus(text: string): PoolStatusReading | null {
  const t = text.trim();
  // The fields may come with the `dmsetup status` prefix or alone, after a device name or not.
  const line = splitStatusLine(t);
  const prefixed = line !== null && line.target === 'thin-pool';
  const status = parsePoolStatus(prefixed ? line.text : t.replace(/^\S+:\s+/, ''));
  if (status?.kind === 'Fail' && prefixed) {
    return {
      fields: [['status', 'Fail: the pool is in fail mode']],
      mode: 'fail',
      needsCheck: false,
      summary: 'the pool is in fail mode: every I/O to its thins fails with EIO and nothing but removing it works',
    };
  }
  if (status?.kind !== 'fields') return null;
  const { transactionId: tid, modeWord, discardWord: discard, noSpaceWord: space } = status;
  const held = status.heldRootBlock === null ? '-' : String(status.heldRootBlock);
  const threshold = status.metadataLowWaterBlocks;
  const dataUsed = status.dataUsedBlocks;
  const dataTotal = status.dataTotalBlocks;
  const metaUsed = status.metadataUsedBlocks;
  const metaTotal = status.metadataTotalBlocks;
  const needsCheck = status.needsCheck;
  // `ro` covers read_only and out_of_metadata_space: full metadata tells them apart.
  const mode: PoolMode =
    modeWord === 'rw'
      ? 'write'
      : modeWord === 'out_of_data_space'
        ? 'out_of_data_space'
        : metaUsed >= metaTotal
          ? 'out_of_metadata_space'
          : 'read_only';
  const fields: Array<[string, string]> = [
    ['transaction id', `${tid} (set by userspace with set_transaction_id: Docker's and LVM's own counter)`],
    ['metadata', `${metaUsed}/${metaTotal} blocks used (${pct(metaUsed, metaTotal)})`],
    [
      'data',
      `${dataUsed}/${dataTotal} blocks used (${pct(dataUsed, dataTotal)})${dataUsed >= dataTotal ? ': full' : ''}`,
    ],
    [
      'held root',
      held === '-'
        ? 'none (no metadata snapshot held)'
        : `a metadata snapshot is held at block ${held} (thin_dump -m reads it; release it when done)`,
    ],
    [
      'mode',
      modeWord === 'rw'
        ? 'rw: write mode, normal'
        : modeWord === 'out_of_data_space'
          ? 'out_of_data_space: no free data block; writes that need one are queued or failed'
          : mode === 'out_of_metadata_space'
            ? 'ro: read-only because the metadata is full'
            : 'ro: read-only (a failed metadata operation, needs_check, or the read_only feature)',
    ],
    [
      'discard',
      discard === 'discard_passdown'
        ? 'discards free blocks and reach the data device'
        : discard === 'no_discard_passdown'
          ? 'discards free pool blocks but do not reach the data device'
          : 'discards are ignored: deleting files frees nothing in the pool',
    ],
    [
      'when full',
      space === 'queue_if_no_space'
        ? 'queue_if_no_space: writes wait for space up to no_space_timeout'
        : 'error_if_no_space: writes fail at once with ENOSPC (asked by the table, or switched on when no_space_timeout expired)',
    ],
    [
      'needs_check',
      needsCheck
        ? 'set: the metadata must be checked and repaired; the pool will not write or grow until then'
        : 'clear',
    ],
    ['metadata low water', `${threshold} blocks`],
  ];
  const parts: string[] = [];
  if (mode === 'write')
    parts.push(
      dataUsed >= dataTotal ? 'the pool works but has no free data block left' : 'the pool is healthy and writable',
    );
  if (mode === 'out_of_data_space')
    parts.push(
      `the pool is out of data space (${dataUsed}/${dataTotal}); ${space === 'queue_if_no_space' ? 'new-block writes are waiting' : 'new-block writes fail with ENOSPC'}, owned blocks are still writable`,
    );
  if (mode === 'out_of_metadata_space') parts.push('the pool is read-only because its metadata device is full');
  if (mode === 'read_only')
    parts.push('the pool is read-only: writes that need a block fail with EIO and messages are refused');
  if (needsCheck) parts.push('needs_check is set: run thin_check/thin_repair with the pool deactivated');
  if (held !== '-') parts.push('a metadata snapshot is held');
  return { fields, mode, needsCheck, summary: parts.join('; ') };
}

/** What to do about the state a pool status line shows; null when nothing is wrong. */
function statusAdvice(s: PoolStatusReading): string | null {
  if (s.needsCheck)
    return 'deactivate the thins and the pool, run thin_check on the metadata, thin_repair when it reports errors (or clear the flag with thin_check --clear-needs-check-flag when it does not), then activate again';
  switch (s.mode) {
    case 'out_of_data_space':
      return 'extend the pool (queued writes then complete), or delete thin devices or discard, and let a commit (dmsetup status, the 1 s timer) bring it back to write mode';
    case 'out_of_metadata_space':
      return 'grow the metadata device and resume the pool';
    case 'read_only':
      return 'if the table has the read_only feature, reload without it; otherwise look in the kernel log for the failed metadata operation';
    case 'fail':
      return 'remove the thins and the pool, fix the metadata device, thin_repair, and create the pool again';
    default:
      return null;
  }
}

/** A thin's status line (`0 262144 thin 256 255`, `... thin Fail`). */
export function readThinStatus(text: string): string | null {
  const line = splitStatusLine(text.trim());
  if (line === null || line.target !== 'thin') return null;
  const status = parseThinStatus(line.text);
  if (status?.kind === 'Fail') return "the thin device's pool is in fail mode: every I/O to it fails";
  if (status?.kind !== 'fields') return null;
  return status.mappedSectors === 0
    ? 'the thin device maps nothing yet (every block reads as zeros or its external origin)'
    : `the thin device maps ${status.mappedSectors} sectors; its highest mapped sector is ${status.highestMappedSector ?? '-'}`;
}

export interface ScenarioMatch {
  readonly scenario: Scenario;
  readonly how: 'symptom' | 'output' | 'state';
  readonly detail: string;
}

/**
 * Removes what wraps a line where users copy it from: a dmesg timestamp, a syslog or journal
 * prefix (`Dec 06 12:00:01 host dockerd[812]: `), logrus' `time=... level=... msg="..."`.
 */
export function normalizeSymptom(text: string): string {
  let t = text.trim().replace(/^\[\s*\d+\.\d+\]\s*/, '');
  t = t.replace(/^[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \S+ [\w.@-]+(\[\d+\])?: /, '');
  const logrus = /^time="[^"]*" level=\w+ msg="((?:[^"\\]|\\.)*)"/.exec(t);
  if (logrus !== null) t = logrus[1]!.replace(/\\(.)/g, '$1');
  // A logrus field pasted on its own (`error="failed to ... \"name\" ..."`), or quotes still escaped.
  const field = /(?:^|\s)error="((?:[^"\\]|\\.)*)"/.exec(t);
  if (logrus === null && field !== null) t = field[1]!.replace(/\\(.)/g, '$1');
  else if (t.includes('\\"')) t = t.replace(/\\(.)/g, '$1');
  // containerd's gRPC errors reach the client with their code, `: unknown`, appended.
  t = t.replace(/: unknown"?$/, '');
  return t.replace(/^\[\s*\d+\.\d+\]\s*/, '').trim();
}

/**
 * What stays of a line once everything that differs between two machines is gone, so that a
 * user's line and a scenario's line compare: quoted names (`"vg0-mythinpool-snap-2"`), record
 * dumps (`{DeviceID:2 ...}`), `<id>` placeholders, device names after `device` or `pool`,
 * /dev/mapper paths, hashes, sizes, and every number (ids, major:minor, block counts) become `#`;
 * dockerd's older wordings become today's.
 * A `...` the user left in stays, and stands for anything when matched. LVM's `(status:2)` stays
 * apart: it says thin_check did not run at all, a cause of its own (docker-devicemapper.md §4
 * entry 23), not damaged metadata.
 */
export function canonicalSymptom(text: string): string {
  return (
    sameWording(normalizeSymptom(text))
      .replace(/"[^"\n]*"/g, '"#"')
      .replace(/'[^'\s]*'/g, "'#'")
      .replace(/\{[^{}\n]*\}/g, '{#}')
      .replace(/<[^<>\s]+>/g, '#')
      .replace(/\/dev\/mapper\/[^\s'":]+/g, '/dev/mapper/#')
      // A name holds a colon only inside a major:minor (docker-8:2-400468-pool), not before a message.
      .replace(
        /\b(device|pool|thin-pool|ownership of thin-pool) \(?(?=[\w./:-]*[-/\d])(?:[\w./-]|:(?=\d))+\)?/g,
        '$1 #',
      )
      .replace(/\(status:2\)/g, '(status:execvp)')
      .replace(/\b[0-9a-f]{12,}\b/g, '#')
      .replace(/\b\d+(\.\d+)?\s?([kKMGTP]i?B|B)\b/g, '#')
      .replace(/\d+/g, '#')
      .replace(/#([-:.]#)+/g, '#')
      .replace(/\s*\(/g, ' (')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/**
 * dockerd said the same things in other words over its versions (1.x `Error starting daemon:`,
 * today's `failed to start daemon:`; `devicemapper:` and `devmapper:` prefixes; the API's `Driver
 * devicemapper failed to remove root filesystem ID` became `driver "devicemapper" failed to
 * remove root filesystem for ID`): a report's line and the lab's compare in today's words.
 */
function sameWording(line: string): string {
  return line
    .replace(/\bError starting daemon: /g, 'failed to start daemon: ')
    .replace(/\bdevicemapper: /g, 'devmapper: ')
    .replace(
      /\bDriver devicemapper failed to remove root filesystem /g,
      'driver "devicemapper" failed to remove root filesystem for ',
    );
}

/** `...` in a line stands for anything; the rest is literal. */
function wildcardPattern(line: string): RegExp {
  return new RegExp(
    line
      .trim()
      .split('...')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[\\s\\S]*'),
  );
}

/**
 * Two canonical lines say the same: one holds the other, `...` standing for anything on either
 * side. A short line (an lvs attribute such as `twi-aot-D-`) must be the whole of the other, since
 * a few characters are found in too many lines by chance.
 */
function sameLine(symptom: string, line: string): boolean {
  if (symptom.length < 12 || line.length < 12) return symptom.length >= 4 && symptom === line;
  return wildcardPattern(symptom).test(line) || wildcardPattern(line).test(symptom);
}

/** The lines a step expects to print, canonical, long enough to mean something. */
function expectedLines(exp: Expectation): string[] {
  return [exp.output, exp.outputContains]
    .filter((x): x is string => x !== undefined)
    .flatMap((x) => x.split('\n'))
    .map(canonicalSymptom)
    .filter((x) => x.length >= 12);
}

/** Scenarios whose steps print the symptom (the canonical lines), or a line their regular expression accepts. */
function matchOutputs(
  symptom: string,
  canonical: string,
  scenarios: readonly Scenario[],
  add: (m: ScenarioMatch) => void,
) {
  for (const s of scenarios) {
    s.steps.forEach((step, i) => {
      const exp = 'expect' in step ? step.expect : undefined;
      if (exp === undefined) return;
      if (expectedLines(exp).some((x) => sameLine(canonical, x)))
        add({ scenario: s, how: 'output', detail: `step ${i + 1} (line ${step.line}) prints it` });
      else if (exp.outputMatches !== undefined && new RegExp(exp.outputMatches, 'm').test(`${symptom}\n`))
        add({ scenario: s, how: 'output', detail: `step ${i + 1} (line ${step.line}) prints a line like it` });
    });
  }
}

/** Scenarios that reach the pool state a symptom implies (write mode says nothing: nearly every scenario starts there). */
function matchStates(
  implied: { mode?: PoolMode | 'fail'; needsCheck?: boolean },
  scenarios: readonly Scenario[],
  add: (m: ScenarioMatch) => void,
): void {
  const mode = implied.mode === 'write' ? undefined : implied.mode;
  if (mode === undefined && implied.needsCheck !== true) return;
  for (const s of scenarios) {
    s.steps.forEach((step, i) => {
      const exp = 'expect' in step ? step.expect : undefined;
      if (exp === undefined) return;
      if (mode !== undefined && Object.values(exp.poolMode ?? {}).includes(mode as PoolMode))
        add({ scenario: s, how: 'state', detail: `step ${i + 1} (line ${step.line}) reaches mode ${mode}` });
      else if (implied.needsCheck === true && Object.values(exp.needsCheck ?? {}).includes(true))
        add({ scenario: s, how: 'state', detail: `step ${i + 1} (line ${step.line}) reaches needs_check` });
    });
  }
}

/** Library scenarios that reproduce a symptom, best matches first, each scenario once. */
export function matchScenarios(
  text: string,
  scenarios: readonly Scenario[],
  implied: { mode?: PoolMode | 'fail'; needsCheck?: boolean },
): ScenarioMatch[] {
  const symptom = normalizeSymptom(text);
  const canonical = canonicalSymptom(symptom);
  const found = new Map<Scenario, ScenarioMatch>();
  const add = (m: ScenarioMatch): void => {
    if (!found.has(m.scenario)) found.set(m.scenario, m);
  };
  for (const s of scenarios) {
    for (const declared of s.symptoms ?? []) {
      if (sameLine(canonical, canonicalSymptom(declared))) add({ scenario: s, how: 'symptom', detail: declared });
    }
  }
  matchOutputs(symptom, canonical, scenarios, add);
  matchStates(implied, scenarios, add);
  const rank = { symptom: 0, output: 1, state: 2 } as const;
  return [...found.values()].sort(
    (a, b) =>
      rank[a.how] - rank[b.how] || (a.scenario.file < b.scenario.file ? -1 : a.scenario.file > b.scenario.file ? 1 : 0),
  );
}

export interface Explanation {
  readonly symptom: string;
  readonly source: string | null;
  readonly meaning: string | null;
  readonly next: string | null;
  /** The entries of docker-devicemapper.md §4 whose reports show this line (empty when none). */
  readonly entries: readonly number[];
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly scenarios: readonly ScenarioMatch[];
}

/** Everything `thinlab explain` says about one symptom. */
export function explain(text: string, scenarios: readonly Scenario[]): Explanation {
  const symptom = normalizeSymptom(text);
  const status = readPoolStatus(symptom);
  if (status !== null) {
    return {
      symptom,
      source: 'dmsetup status of a thin-pool',
      meaning: status.summary,
      next: statusAdvice(status),
      entries: [],
      fields: status.fields,
      scenarios: matchScenarios(symptom, scenarios, { mode: status.mode, needsCheck: status.needsCheck }),
    };
  }
  const thin = readThinStatus(symptom);
  if (thin !== null) {
    const failed = /Fail$/.test(symptom);
    return {
      symptom,
      source: 'dmsetup status of a thin',
      meaning: thin,
      next: failed ? KNOWN_SYMPTOMS.find((k) => k.mode === 'fail')!.next : null,
      entries: [],
      fields: [],
      scenarios: matchScenarios(symptom, scenarios, failed ? { mode: 'fail' } : {}),
    };
  }
  const known = KNOWN_SYMPTOMS.find((k) => k.pattern.test(symptom));
  const entries = known?.entries ?? [];
  return {
    symptom,
    source:
      known === undefined
        ? null
        : entries.length === 0
          ? known.source
          : `${known.source}; ${catalogueReference(entries)}`,
    meaning: known?.meaning ?? null,
    next: known?.next ?? null,
    entries,
    fields: [],
    scenarios: matchScenarios(symptom, scenarios, {
      ...(known?.mode === undefined ? {} : { mode: known.mode }),
      ...(known?.needsCheck === undefined ? {} : { needsCheck: known.needsCheck }),
    }),
  };
}
