/**
 * The fields of dmsetup's reports (`info -c`, `splitname`) as lvm2's libdm/dm-tools/dmsetup.c
 * declares them (2.03.16 and 2.03.31 alike): each field's name, heading, width, whether it is a
 * number, and the help line that `-o help` and every unrecognised field print to standard error.
 * The statistics fields are listed for the help and for their names; the lab refuses them, having
 * no dm-stats regions to report (fixtures/kernel/208).
 */
import type { StackId } from '../model/stack.js';

/** Which object a field reads (dmsetup.c's DR_* report types). */
export type FieldSource = 'task' | 'info' | 'deps' | 'tree' | 'name' | 'stats';

export interface ReportFieldSpec {
  readonly id: string;
  readonly heading: string;
  readonly width: number;
  readonly numeric: boolean;
  readonly source: FieldSource;
}

/** A section of the help: its title, the word its `_all` field takes, and its fields with their help lines. */
interface Section {
  readonly title: string;
  readonly all: string | null;
  readonly fields: readonly (readonly [spec: FieldDecl | string, help: string])[];
  readonly source: FieldSource | null;
}

/** A field as declared: its source is its section's unless given (the relationship section mixes two). */
type FieldDecl = Omit<ReportFieldSpec, 'source'> & { readonly source?: FieldSource };

const f = (id: string, heading: string, width: number, numeric = false): FieldDecl => ({ id, heading, width, numeric });
const tree = (decl: FieldDecl): FieldDecl => ({ ...decl, source: 'tree' });

/** The stats fields: named for the help only (the lab refuses them). */
const STATS_FIELDS: readonly (readonly [string, string])[] = [
  ['read_count', 'Count of reads completed.'],
  ['reads_merged_count', 'Count of read requests merged.'],
  ['read_sector_count', 'Count of sectors read.'],
  ['read_time', 'Accumulated duration of all read requests (ns).'],
  ['write_count', 'Count of writes completed.'],
  ['writes_merged_count', 'Count of write requests merged.'],
  ['write_sector_count', 'Count of sectors written.'],
  ['write_time', 'Accumulated duration of all writes (ns).'],
  ['in_progress_count', 'Count of requests currently in progress.'],
  ['io_ticks', 'Nanoseconds spent servicing requests.'],
  ['queue_ticks', 'Total nanoseconds spent in queue.'],
  ['read_ticks', 'Nanoseconds spent servicing reads.'],
  ['write_ticks', 'Nanoseconds spent servicing writes.'],
  ['reads_merged_per_sec', 'Read requests merged per second.'],
  ['writes_merged_per_sec', 'Write requests merged per second.'],
  ['reads_per_sec', 'Reads per second.'],
  ['writes_per_sec', 'Writes per second.'],
  ['read_size_per_sec', 'Size of data read per second.'],
  ['write_size_per_sec', 'Size of data written per second.'],
  ['avg_request_size', 'Average request size.'],
  ['queue_size', 'Average queue size.'],
  ['await', 'Averate wait time.'],
  ['read_await', 'Averate read wait time.'],
  ['write_await', 'Averate write wait time.'],
  ['throughput', 'Throughput.'],
  ['service_time', 'Service time.'],
  ['util', 'Utilization.'],
  ['hist_count', 'Latency histogram counts.'],
  ['hist_count_bounds', 'Latency histogram counts with bin boundaries.'],
  ['hist_count_ranges', 'Latency histogram counts with bin ranges.'],
  ['hist_percent', 'Relative latency histogram.'],
  ['hist_percent_bounds', 'Relative latency histogram with bin boundaries.'],
  ['hist_percent_ranges', 'Relative latency histogram with bin ranges.'],
  ['interval_ns', 'Sampling interval in nanoseconds.'],
  ['interval', 'Sampling interval.'],
];

const REGION_FIELDS: readonly (readonly [string, string])[] = [
  ['region_id', 'Region ID.'],
  ['region_start', 'Region start.'],
  ['region_len', 'Region length.'],
  ['area_id', 'Area ID.'],
  ['area_start', 'Area offset from start of device.'],
  ['area_len', 'Area length.'],
  ['area_offset', 'Area offset from start of region.'],
  ['area_count', 'Area count.'],
  ['group_id', 'Group ID.'],
  ['program_id', 'Program ID.'],
  ['user_data', 'Auxiliary data.'],
  ['precise', 'Set if nanosecond precision counters are enabled.'],
  ['hist_bins', 'The number of histogram bins configured.'],
  ['hist_bounds', 'Latency histogram bin boundaries.'],
  ['hist_ranges', 'Latency histogram bin ranges.'],
  ['stats_name', 'Stats name of current object.'],
  ['obj_type', 'Type of stats object being reported.'],
];

const SECTIONS: readonly Section[] = [
  {
    title: 'Mapped Device Name Fields',
    all: 'name_all',
    source: 'task',
    fields: [
      [f('name', 'Name', 16), 'Name of mapped device.'],
      [f('mangled_name', 'MangledName', 16), 'Mangled name of mapped device.'],
      [f('unmangled_name', 'UnmangledName', 16), 'Unmangled name of mapped device.'],
      [f('uuid', 'UUID', 32), 'Unique (optional) identifier for mapped device.'],
      [f('mangled_uuid', 'MangledUUID', 32), 'Mangled unique (optional) identifier for mapped device.'],
      [f('unmangled_uuid', 'UnmangledUUID', 32), 'Unmangled unique (optional) identifier for mapped device.'],
      [f('read_ahead', 'RAhead', 6, true), 'Read ahead value.'],
    ],
  },
  {
    title: 'Mapped Device Information Fields',
    all: 'info_all',
    source: 'info',
    fields: [
      [f('blkdevname', 'BlkDevName', 16), 'Name of block device.'],
      [f('attr', 'Stat', 4), '(L)ive, (I)nactive, (s)uspended, (r)ead-only, read-(w)rite.'],
      [f('tables_loaded', 'Tables', 6), 'Which of the live and inactive table slots are filled.'],
      [f('suspended', 'Suspended', 9), 'Whether the device is suspended.'],
      [f('readonly', 'Read-only', 9), 'Whether the device is read-only or writeable.'],
      [f('devno', 'DevNo', 5), 'Device major and minor numbers'],
      [f('major', 'Maj', 3, true), 'Block device major number.'],
      [f('minor', 'Min', 3, true), 'Block device minor number.'],
      [f('open', 'Open', 4, true), 'Number of references to open device, if requested.'],
      [f('segments', 'Targ', 4, true), 'Number of segments in live table, if present.'],
      [f('events', 'Event', 6, true), 'Number of most recent event.'],
    ],
  },
  {
    title: 'Mapped Device Relationship Information Fields',
    all: 'deps_all',
    source: 'deps',
    fields: [
      [f('device_count', '#Devs', 5, true), 'Number of devices used by this one.'],
      [tree(f('devs_used', 'DevNamesUsed', 16)), 'List of names of mapped devices used by this one.'],
      [f('devnos_used', 'DevNosUsed', 16), 'List of device numbers of devices used by this one.'],
      [f('blkdevs_used', 'BlkDevNamesUsed', 16), 'List of names of block devices used by this one.'],
      [tree(f('device_ref_count', '#Refs', 5, true)), 'Number of mapped devices referencing this one.'],
      [tree(f('names_using_dev', 'RefNames', 8)), 'List of names of mapped devices using this one.'],
      [tree(f('devnos_using_dev', 'RefDevNos', 9)), 'List of device numbers of mapped devices using this one.'],
    ],
  },
  {
    title: 'Mapped Device Name Components Fields',
    all: 'splitname_all',
    source: 'name',
    fields: [
      [f('subsystem', 'Subsys', 6), 'Userspace subsystem responsible for this device.'],
      [f('vg_name', 'VG', 4), 'LVM Volume Group name.'],
      [f('lv_name', 'LV', 4), 'LVM Logical Volume name.'],
      [f('lv_layer', 'LVLayer', 7), 'LVM device layer.'],
    ],
  },
  { title: 'Mapped Device Statistics Fields', all: 'stats_all', source: 'stats', fields: STATS_FIELDS },
  {
    title: 'Mapped Device Statistics Region Information Fields',
    all: 'region_all',
    source: 'stats',
    fields: REGION_FIELDS,
  },
  {
    title: 'Special Fields',
    all: null,
    source: null,
    fields: [
      ['selected', 'Set if item passes selection criteria.'],
      ['help', 'Show help.'],
      ['?', 'Show help.'],
    ],
  },
];

const idOf = (spec: Section['fields'][number][0]): string => (typeof spec === 'string' ? spec : spec.id);

/** Every field the lab reports, by name. */
export const REPORT_FIELDS: ReadonlyMap<string, ReportFieldSpec> = new Map(
  SECTIONS.flatMap((s) =>
    s.fields.flatMap(([spec]) =>
      typeof spec === 'string' || s.source === null ? [] : [[spec.id, { source: s.source, ...spec }] as const],
    ),
  ),
);

/** The fields a section's `_all` word stands for, by that word: those of the section's own source (deps_all leaves out the tree's). */
export const ALL_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(
  SECTIONS.flatMap((s) =>
    s.all === null
      ? []
      : [
          [
            s.all,
            s.fields.flatMap(([spec]) =>
              typeof spec !== 'string' && (spec.source ?? s.source) !== s.source ? [] : [idOf(spec)],
            ),
          ] as const,
        ],
  ),
);

/** Field names dmsetup knows and the lab does not report: the statistics and `selected`. */
export const UNREPORTED_FIELDS: ReadonlySet<string> = new Set([
  ...STATS_FIELDS.map(([id]) => id),
  ...REGION_FIELDS.map(([id]) => id),
  'stats_all',
  'region_all',
  'selected',
]);

/**
 * The help libdm's report prints to standard error (log_warn): each section's title, underlined,
 * its fields with their help, and a line of one space. 1.02.205 spells "Average" right.
 */
export function reportHelp(stack: StackId): string {
  const idWidth = Math.max(...SECTIONS.flatMap((s) => s.fields.map(([spec]) => idOf(spec).length)));
  const line = (id: string, help: string) => `  ${id.padEnd(idWidth)} - ${help}\n`;
  const text = SECTIONS.map(
    (s) =>
      `${s.title}\n${'-'.repeat(s.title.length)}\n` +
      (s.all === null ? '' : line(s.all, 'All fields in this section.')) +
      s.fields.map(([spec, help]) => line(idOf(spec), help)).join('') +
      ' \n',
  ).join('');
  return stack === 'debian13' ? text.replaceAll('Averate', 'Average') : text;
}
