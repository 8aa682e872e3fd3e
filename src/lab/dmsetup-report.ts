/**
 * dmsetup's column reports, `info -c` (`-C`, `--columns`) and `splitname`, as libdm's report
 * prints them (lvm2 libdm/libdm-report.c, dmsetup.c's _report_init; fixtures/kernel/208, 209):
 * the fields of `-o` (a leading `+` adds them to the default ones; `_all` words stand for their
 * section), sorted by `-O`/`--sort` keys (`-` descending), aligned in columns of at least each
 * field's width under a heading line; `--noheadings` drops the headings and the alignment and
 * parts the fields with `:`, `--separator` parts them with its text, unaligned. The heading line
 * is printed only over at least one row. An unknown field or sort key prints the fields' help and
 * fails; `help` or `?` among them prints the help and succeeds.
 */
import { Errno, strerror } from '../model/errno.js';
import { DM_MAJOR, type DmDevice, devNumber, type Machine } from '../model/machine.js';
import type { CommandIo } from '../shell/io.js';
import {
  ALL_FIELDS,
  REPORT_FIELDS,
  type ReportFieldSpec,
  reportHelp,
  UNREPORTED_FIELDS,
} from './dmsetup-report-fields.js';

/** How the report is asked for: its fields, sort keys, headings and separator. */
export interface ReportRequest {
  readonly fields: string | null;
  readonly sort: string | null;
  readonly noHeadings: boolean;
  readonly separator: string | null;
  /** splitname's report, whose default fields are the name's components. */
  readonly splitname: boolean;
}

/** A row's object: a device (info -c) or a name to split (splitname). */
export type ReportObject =
  | { readonly kind: 'device'; readonly dev: DmDevice }
  | { readonly kind: 'name'; readonly name: string; readonly subsystem: string };

const DEFAULT_FIELDS = 'name,major,minor,attr,open,segments,events,uuid';
const SPLITNAME_FIELDS = 'vg_name,lv_name,lv_layer';

/** The live table's targets: an LVM volume's linear segments, else the one target (0 with no live table). */
export function targetCount(dev: DmDevice): number {
  const t = dev.live;
  if (t === null) return 0;
  return t.type === 'linear' && t.segments !== undefined ? t.segments.length : 1;
}

/** A device that never had a table has no gendisk: no sysfs entry, no block device name. */
export const neverHadTable = (dev: DmDevice): boolean => dev.live === null && dev.inactive === null;

/**
 * dm_split_lvm_name's _unquote: reads a component up to a single `-` (a doubled one stands for
 * one `-`), and returns it with the rest after that `-`.
 */
function unquote(text: string): [string, string] {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '-' && i + 1 < text.length) {
      if (text[i + 1] !== '-') return [out, text.slice(i + 1)];
      i++;
    }
    out += c;
  }
  return [out, ''];
}

/** An LVM name's VG, LV and layer (dm_split_lvm_name). */
export function splitLvmName(name: string): [vg: string, lv: string, layer: string] {
  const [vg, rest] = unquote(name);
  const [lv, layerRest] = unquote(rest);
  return [vg, lv, unquote(layerRest)[0]];
}

/** Subsystem, VG, LV and layer: the VG, LV and layer only for the LVM subsystem (_get_split_name). */
function splitName(obj: ReportObject): [string, string, string, string] {
  const subsystem =
    obj.kind === 'name' ? obj.subsystem : (obj.dev.uuid ?? '').slice(0, Math.max(0, (obj.dev.uuid ?? '').indexOf('-')));
  if (subsystem !== 'LVM') return [subsystem, '', '', ''];
  return [subsystem, ...splitLvmName(obj.kind === 'name' ? obj.name : obj.dev.name)];
}

/** What a field reads failed: dmsetup's complaint, and the row is left out. */
class FieldFailure {
  constructor(readonly message: string) {}
}

type Value = string | number;

/** The devices using `dev` (its dm_tree parents), in the kernel's listing order. */
const usersOf = (m: Machine, dev: DmDevice): DmDevice[] =>
  m.deviceList().filter((d) => m.dependencies(d).includes(dev));

const DEVICE_VALUES: Readonly<Record<string, (m: Machine, dev: DmDevice, io: CommandIo) => Value>> = {
  name: (_m, dev) => dev.name,
  mangled_name: (_m, dev) => dev.name,
  unmangled_name: (_m, dev) => dev.name,
  uuid: (_m, dev) => dev.uuid ?? '',
  mangled_uuid: (_m, dev) => dev.uuid ?? '',
  unmangled_uuid: (_m, dev) => dev.uuid ?? '',
  read_ahead: (_m, dev, io) => {
    if (!neverHadTable(dev)) return 256;
    // libdevmapper falls back to the node for the read-ahead a device without sysfs lacks.
    io.err(`/dev/mapper/${dev.name}: open failed: ${strerror(Errno.ENOENT)}\n`);
    return 0;
  },
  blkdevname: (_m, dev) => {
    if (!neverHadTable(dev)) return dev.kernelName;
    throw new FieldFailure(
      `Could not resolve block device name for ${DM_MAJOR}:${dev.minor}.\n_do_report_object: report function failed for field blkdevname\n`,
    );
  },
  attr: (_m, dev) =>
    `${dev.live ? 'L' : '-'}${dev.inactive ? 'I' : '-'}${dev.suspended ? 's' : '-'}${dev.readOnly ? 'r' : 'w'}`,
  tables_loaded: (_m, dev) => (dev.live ? (dev.inactive ? 'Both' : 'Live') : dev.inactive ? 'Inactive' : 'None'),
  suspended: (_m, dev) => (dev.suspended ? 'Suspended' : 'Active'),
  readonly: (_m, dev) => (dev.readOnly ? 'Read-only' : 'Writeable'),
  devno: (_m, dev) => devNumber(dev),
  major: () => DM_MAJOR,
  minor: (_m, dev) => dev.minor,
  open: (_m, dev) => dev.openCount,
  segments: (_m, dev) => targetCount(dev),
  events: (_m, dev) => dev.eventNr,
  device_count: (m, dev) => m.dependencies(dev).length,
  devs_used: (m, dev) =>
    m
      .dependencies(dev)
      .flatMap((d) => (d.kind === 'dm' ? [d.name] : []))
      .join(','),
  devnos_used: (m, dev) => m.dependencies(dev).map(devNumber).join(','),
  blkdevs_used: (m, dev) =>
    m
      .dependencies(dev)
      .map((d) => d.kernelName)
      .join(','),
  device_ref_count: (m, dev) => usersOf(m, dev).length,
  names_using_dev: (m, dev) =>
    usersOf(m, dev)
      .map((d) => d.name)
      .join(','),
  devnos_using_dev: (m, dev) => usersOf(m, dev).map(devNumber).join(','),
};

const NAME_FIELDS = ['subsystem', 'vg_name', 'lv_name', 'lv_layer'];

function fieldValue(m: Machine, obj: ReportObject, field: ReportFieldSpec, io: CommandIo): Value {
  const at = NAME_FIELDS.indexOf(field.id);
  if (at >= 0) return splitName(obj)[at]!;
  if (obj.kind === 'name') throw new FieldFailure(`_do_report_object: no data assigned to field ${field.id}\n`);
  return DEVICE_VALUES[field.id]!(m, obj.dev, io);
}

/** A parsed field list, or what to do instead of the report. */
type Parsed<T> =
  | { readonly ok: T }
  | { readonly help: true }
  | { readonly unrecognised: string }
  | { readonly refused: string };

function parseFields(text: string): Parsed<ReportFieldSpec[]> {
  const specs: ReportFieldSpec[] = [];
  for (const word of text.split(',')) {
    const name = word.toLowerCase();
    if (name === 'help' || name === '?') return { help: true };
    if (UNREPORTED_FIELDS.has(name) || name.startsWith('dm_')) return { refused: `dmsetup report field ${word}` };
    const names = ALL_FIELDS.get(name) ?? [name];
    for (const n of names) {
      const spec = REPORT_FIELDS.get(n);
      if (spec === undefined) return { unrecognised: word };
      specs.push(spec);
    }
  }
  return { ok: specs };
}

interface SortKey {
  readonly spec: ReportFieldSpec;
  readonly descending: boolean;
}

function parseSortKeys(text: string): Parsed<SortKey[]> {
  const keys: SortKey[] = [];
  for (const word of text.split(',')) {
    const descending = word.startsWith('-');
    const name = /^[+-]/.test(word) ? word.slice(1) : word;
    const parsed = parseFields(name);
    if (!('ok' in parsed)) return parsed;
    for (const spec of parsed.ok) keys.push({ spec, descending });
  }
  return { ok: keys };
}

/** The outcome of a parse that is not a field list: 0 (help), 1 (an error), or null to go on. */
function parseOutcome(parsed: Parsed<unknown>, io: CommandIo, stack: Machine['stack'], prefix: string): number | null {
  if ('ok' in parsed) return null;
  if ('refused' in parsed) {
    io.err(`thinlab: not modelled: ${parsed.refused} (the lab has no dm-stats regions)\nCommand failed.\n`);
    return 1;
  }
  io.err(reportHelp(stack));
  if ('help' in parsed) return 0;
  io.err(`${prefix}Unrecognised field: ${parsed.unrecognised}\n`);
  return 1;
}

/** One row: the values of the shown fields and of the sort keys. */
interface Row {
  readonly shown: Value[];
  readonly keys: Value[];
}

function compareRows(a: Row, b: Row, keys: readonly SortKey[]): number {
  for (const [i, key] of keys.entries()) {
    const x = a.keys[i]!;
    const y = b.keys[i]!;
    const order = x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return key.descending ? -order : order;
  }
  return 0;
}

/** The lines of the report: aligned columns under headings, or the fields parted by a separator. */
function reportLines(specs: readonly ReportFieldSpec[], rows: readonly Row[], request: ReportRequest): string {
  const headings = !request.noHeadings;
  const separator = request.separator ?? (request.noHeadings ? ':' : ' ');
  const aligned = request.separator === null && !request.noHeadings;
  const text = (v: Value) => String(v);
  const widths = specs.map((s, i) => Math.max(s.width, s.heading.length, ...rows.map((r) => text(r.shown[i]!).length)));
  const line = (cells: readonly string[]) => `${cells.join(separator)}\n`;
  let out = '';
  if (headings) out += line(specs.map((s, i) => (aligned ? s.heading.padEnd(widths[i]!) : s.heading)));
  for (const row of rows)
    out += line(
      row.shown.map((v, i) =>
        !aligned ? text(v) : specs[i]!.numeric ? text(v).padStart(widths[i]!) : text(v).padEnd(widths[i]!),
      ),
    );
  return out;
}

/**
 * Prints the report of `objects` (null for a device named that does not exist: dmsetup says so
 * and goes on). Returns the exit status.
 */
export function printReport(
  m: Machine,
  objects: readonly (ReportObject | null)[],
  request: ReportRequest,
  io: CommandIo,
): number {
  const defaults = request.splitname ? SPLITNAME_FIELDS : DEFAULT_FIELDS;
  const fieldText =
    request.fields === null
      ? defaults
      : request.fields.startsWith('+')
        ? `${defaults},${request.fields.slice(1)}`
        : request.fields;
  const fields = fieldText === '' ? { ok: [] } : parseFields(fieldText);
  const fieldOutcome = parseOutcome(fields, io, m.stack, '');
  if (fieldOutcome !== null || !('ok' in fields)) return fieldOutcome ?? 1;
  const keys = request.sort === null ? { ok: [] } : parseSortKeys(request.sort);
  const keyOutcome = parseOutcome(keys, io, m.stack, 'dm_report: ');
  if (keyOutcome !== null || !('ok' in keys)) return keyOutcome ?? 1;
  const rows: Row[] = [];
  let status = 0;
  let fieldFailed = false;
  for (const obj of objects) {
    if (obj === null) {
      io.err('Device does not exist.\nCommand failed.\n');
      status = 1;
      continue;
    }
    try {
      rows.push({
        shown: fields.ok.map((s) => fieldValue(m, obj, s, io)),
        keys: keys.ok.map((k) => fieldValue(m, obj, k.spec, io)),
      });
    } catch (e) {
      if (!(e instanceof FieldFailure)) throw e;
      io.err(e.message);
      status = 1;
      fieldFailed = true;
    }
  }
  // A row that failed leaves dmsetup's command failed once, at its end.
  if (fieldFailed) io.err('Command failed.\n');
  rows.sort((a, b) => compareRows(a, b, keys.ok));
  if (rows.length > 0) io.out(reportLines(fields.ok, rows, request));
  return status;
}
