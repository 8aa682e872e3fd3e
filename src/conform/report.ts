/**
 * What `thinlab conform` prints: which versions were compared (the lab's stack and what the VM
 * really ran, with a note where the VM differs from what the fixtures were recorded on), the two
 * transcripts side by side with the differing rows marked, and a verdict; or the same as one JSON
 * document. Pure: the CLI writes the text.
 */
import type { StackId, StackVersions } from '../model/stack.js';
import type { Comparison, ConformRow, RowKind } from './compare.js';

/** What the VM reported about itself before the script ran ('' where a tool printed no version). */
export interface VmVersions {
  /** `uname -r`, e.g. 6.1.0-57-amd64. */
  readonly kernelRelease: string;
  /** The upstream version in /proc/version's Debian tag, e.g. 6.1.192. */
  readonly kernel: string;
  readonly thinProvisioningTools: string;
  readonly dmsetup: string;
  readonly lvm: string;
  readonly busybox: string;
}

export interface ConformReport {
  readonly script: string;
  readonly stack: StackId;
  readonly ramdiskKb: number;
  /** What the lab reproduces (src/model/stack.ts). */
  readonly modelled: StackVersions;
  /** The `uname -r` of the kernel the project's fixtures for this stack were recorded on. */
  readonly fixturesKernelRelease: string;
  readonly vm: VmVersions;
  readonly comparison: Comparison;
}

const MARKS: Readonly<Record<RowKind, string>> = { same: ' ', changed: '|', 'lab-only': '<', 'kernel-only': '>' };

const TOOLS: ReadonlyArray<readonly [keyof StackVersions & keyof VmVersions, string]> = [
  ['kernel', 'Linux'],
  ['thinProvisioningTools', 'thin-provisioning-tools'],
  ['dmsetup', 'dmsetup'],
  ['lvm', 'LVM'],
  ['busybox', 'busybox'],
];

/** The tools whose version in the VM is not the one the lab reproduces. */
export function versionMismatches(report: ConformReport): string[] {
  return TOOLS.filter(([key]) => !sameRelease(report.vm[key], report.modelled[key])).map(
    ([key, name]) => `${name} ${report.vm[key] || '(no version printed)'} (the lab reproduces ${report.modelled[key]})`,
  );
}

/** 6.1.192 is a 6.1; 1.02.185 is 1.02.185: a version agrees when it is the modelled one or extends it. */
function sameRelease(actual: string, modelled: string): boolean {
  return actual === modelled || actual.startsWith(`${modelled}.`);
}

function versionsLine(label: string, v: Readonly<Record<string, string>>): string {
  return `${label}${TOOLS.map(([key, name]) => `${name} ${v[key] || '?'}`).join(', ')}\n`;
}

/** The header: what was compared with what, and every way the VM differs from the fixtures' oracle. */
export function renderHeader(report: ConformReport): string {
  const vm = report.vm;
  let text = `thinlab conform ${report.script} (stack ${report.stack}, RAM disks ${report.ramdiskKb} KiB)\n`;
  text += versionsLine('  the lab reproduces: ', report.modelled as unknown as Record<string, string>);
  text += versionsLine('  the VM ran:         ', vm as unknown as Record<string, string>);
  text += `  VM kernel release:  ${vm.kernelRelease || '?'}\n`;
  if (vm.kernelRelease !== report.fixturesKernelRelease)
    text += `  note: the project's ${report.stack} fixtures were recorded on ${report.fixturesKernelRelease}; this VM runs ${vm.kernelRelease || 'an unknown kernel'} (Debian's package of the day)\n`;
  for (const m of versionMismatches(report)) text += `  note: the VM runs ${m}\n`;
  return text;
}

/** Cuts a line into pieces of at most `width` characters (at least one piece, empty for an empty line). */
function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += width) pieces.push(text.slice(at, at + width));
  return pieces;
}

function renderRow(row: ConformRow, width: number): string {
  const left = row.lab === null ? [''] : wrap(row.lab.text, width);
  const right = row.kernel === null ? [''] : wrap(row.kernel.text, width);
  let text = '';
  for (let n = 0; n < Math.max(left.length, right.length); n++) {
    const mark = n === 0 ? MARKS[row.kind] : row.kind === 'same' ? ' ' : '+';
    text += `${(left[n] ?? '').padEnd(width)} ${mark} ${right[n] ?? ''}`.trimEnd();
    text += '\n';
  }
  return text;
}

/**
 * The two transcripts side by side in `widthColumns` columns (the lab left, the kernel right), as
 * sdiff marks them: `|` a line that differs, `<` a line only the lab printed, `>` one only the
 * kernel printed, `+` the continuation of a long line; then the verdict.
 */
export function renderSideBySide(report: ConformReport, widthColumns: number): string {
  const width = Math.max(20, Math.floor((widthColumns - 3) / 2));
  let text = renderHeader(report);
  text += `\n${'lab (thinlab)'.padEnd(width)}   kernel (qemu)\n`;
  text += `${'-'.repeat(width)}   ${'-'.repeat(width)}\n`;
  for (const row of report.comparison.rows) text += renderRow(row, width);
  text += `\n${renderVerdict(report.comparison)}`;
  return text;
}

export function renderVerdict(c: Comparison): string {
  const statuses =
    c.labStatus === c.kernelStatus
      ? `exit status ${c.labStatus} on both`
      : `exit status ${c.labStatus} in the lab, ${c.kernelStatus} on the kernel`;
  if (c.agree) return `agree: ${c.rows.length} lines, ${statuses}\n`;
  return `differ: ${c.differingRows} of ${c.rows.length} lines (marked |, < and >), ${statuses}\n`;
}

/** The --json document. */
export function reportJson(report: ConformReport): unknown {
  const c = report.comparison;
  return {
    script: report.script,
    stack: report.stack,
    ramdiskKb: report.ramdiskKb,
    agree: c.agree,
    differingRows: c.differingRows,
    lab: { status: c.labStatus, versions: report.modelled },
    kernel: { status: c.kernelStatus, versions: report.vm, fixturesKernelRelease: report.fixturesKernelRelease },
    notes: versionMismatches(report),
    rows: c.rows,
  };
}
