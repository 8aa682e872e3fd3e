/**
 * How lvs, vgs and pvs lay their report out (lvm2's report options, the same for the three):
 * `--units`, `--nosuffix`, `--noheadings`, `--separator`, `--aligned` and `--reportformat
 * basic|json`, as LVM 2.03.16 and 2.03.31 print them (fixtures/lvm/97).
 */
import { CommandFailed, notModelled } from '../lab/command-errors.js';
import type { ParsedArgs } from './lvm-options.js';
import type { LvmStackBehaviour } from './lvm-stack.js';
import { DEFAULT_LVM_UNITS, type LvmUnits, parseLvmUnits, reportSize } from './units.js';

const EINVALID_CMD_LINE = 3;

export interface ReportStyle {
  readonly size: (sectors: number) => string;
  readonly noHeadings: boolean;
  /** `--separator`: columns joined by it, unpadded unless `--aligned`. */
  readonly separator: string | null;
  readonly aligned: boolean;
  readonly json: boolean;
}

export interface ReportColumn {
  /** The field's name, the key of a JSON report (`lv_size`). */
  readonly id: string;
  readonly header: string;
  readonly right: boolean;
  readonly minWidth?: number;
}

function lastValue(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/** The report options of `command`'s line; LVM's own errors for a bad unit or format. */
export function reportStyle(command: string, p: ParsedArgs, stack: LvmStackBehaviour): ReportStyle {
  const unitsText = lastValue(p, '--units');
  let units: LvmUnits = DEFAULT_LVM_UNITS;
  if (unitsText !== undefined) {
    const parsed = parseLvmUnits(unitsText);
    if (parsed === null)
      throw new CommandFailed(
        `  Invalid units specification\n  Run \`${command} --help' for more information.`,
        EINVALID_CMD_LINE,
      );
    units = parsed;
  }
  const format = lastValue(p, '--reportformat') ?? 'basic';
  if (format === 'json_std' && stack.version !== '2.03.16')
    throw notModelled(`${command} --reportformat json_std (the lab prints basic and json)`);
  if (format !== 'basic' && format !== 'json')
    throw new CommandFailed(
      `  Invalid argument for --reportformat: ${format}\n  Error during parsing of command line.`,
      EINVALID_CMD_LINE,
    );
  const suffix = !p.options.has('--nosuffix');
  return {
    size: (sectors) => reportSize(sectors, units, suffix),
    noHeadings: p.options.has('--noheadings'),
    separator: lastValue(p, '--separator') ?? null,
    aligned: p.options.has('--aligned'),
    json: format === 'json',
  };
}

/**
 * LVM's report layout: two spaces, then each column padded to its width (headers always to the
 * left; sizes and counts to the right, percentages to the left in at least 6 characters), the
 * heading padded like the rows (`VFree ` over `20.00m`: fixtures/lvm/80); without the heading
 * (`--noheadings`) the columns keep its widths (`a-- ` under `Attr`: fixtures/lvm/101). With `--separator` the
 * cells are joined by it as they are, padded only with `--aligned`.
 */
function basicReport(columns: readonly ReportColumn[], rows: readonly string[][], style: ReportStyle): string {
  const sep = style.separator ?? ' ';
  const padded = style.separator === null || style.aligned;
  const widths = columns.map((h, i) =>
    padded ? Math.max(h.minWidth ?? 0, h.header.length, ...rows.map((r) => r[i]!.length)) : 0,
  );
  const row = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (columns[i]!.right ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(sep)}`;
  let out = style.noHeadings ? '' : `  ${columns.map((h, i) => h.header.padEnd(widths[i]!)).join(sep)}\n`;
  for (const r of rows) out += `${row(r)}\n`;
  return out;
}

/**
 * `--reportformat json`: one object per row, every value a string; 2.03.31 adds the (empty) log
 * of the command after the report.
 */
function jsonReport(
  kind: string,
  columns: readonly ReportColumn[],
  rows: readonly string[][],
  stack: LvmStackBehaviour,
): string {
  const objects = rows.map(
    (r) => `                  {${columns.map((c, i) => `${JSON.stringify(c.id)}:${JSON.stringify(r[i])}`).join(', ')}}`,
  );
  const body = objects.length === 0 ? '' : `${objects.join(',\n')}\n`;
  const log = stack.version === '2.03.16' ? '' : '      ,\n      "log": [\n      ]\n';
  return `  {\n      "report": [\n          {\n              "${kind}": [\n${body}              ]\n          }\n      ]\n${log}  }\n`;
}

/** The report of `kind` (`lv`, `vg`, `pv`) in the style its command line asked for. */
export function renderReport(
  kind: string,
  columns: readonly ReportColumn[],
  rows: readonly string[][],
  style: ReportStyle,
  stack: LvmStackBehaviour,
): string {
  return style.json ? jsonReport(kind, columns, rows, stack) : basicReport(columns, rows, style);
}
