/**
 * The metadata campaign: seeded damaged images (metadata-images.ts) through the lab's thin tools
 * and the real thin-provisioning-tools 0.9.0, exit statuses compared for thin_check and thin_dump,
 * and every other lab tool run on the same bytes to count internal errors (a tool that throws).
 * Real tools run in batches from one shell script, because a process per call would dominate.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_SIZE } from '../src/format/layout.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { runThinTool } from '../src/tools/index.js';
import { baseImages, type MetadataCase, metadataCase } from './metadata-images.js';
import { CampaignReport, type Finding } from './report.js';

/** The command lines compared with the real tools; IMG is the damaged image. */
export const COMPARED: readonly (readonly string[])[] = [
  ['thin_check', 'IMG'],
  ['thin_check', '-m', 'IMG'],
  ['thin_check', '--skip-mappings', 'IMG'],
  ['thin_dump', 'IMG'],
  ['thin_dump', '-m', 'IMG'],
  ['thin_dump', '--repair', 'IMG'],
];

/** Lab tools run for internal errors only (their real counterparts are compared in src/tools). */
const LAB_ONLY: readonly (readonly string[])[] = [
  ['thin_ls', '-m', '-o', 'DEV,MAPPED,EXCLUSIVE,SHARED', 'IMG'],
  ['thin_ls', 'IMG'],
  ['thin_rmap', '--region', '0..2000', 'IMG'],
  ['thin_delta', '-m', '--thin1', '0', '--thin2', '1', 'IMG'],
  ['thin_delta', '--thin1', '0', '--thin2', '1', 'IMG'],
  ['thin_repair', '-i', 'IMG', '-o', 'OUT'],
];

/** How long a real tool may run on one image before it counts as hung (status 137). */
const REAL_TIMEOUT_S = 20;
const REAL_HUNG = 137;

interface ToolOutcome {
  readonly status: number;
  /** stdout and stderr, with the image's path written IMG; a digest for thin_dump's XML. */
  readonly text: string;
}

const digest = (text: string): string => createHash('md5').update(text, 'latin1').digest('hex');

/** How an outcome is compared: thin_dump's XML by digest (it can be megabytes), the rest whole. */
function outcomeText(argv: readonly string[], stdout: string, stderr: string): string {
  const out = argv[0] === 'thin_dump' && stdout.length > 2000 ? `xml:${digest(stdout)}` : stdout;
  return `${out}\n--stderr--\n${stderr}`;
}

/** Runs one lab tool on the bytes; a throw is an internal error, returned as such. */
function runLab(
  shell: LabShell,
  argv: readonly string[],
  bytes: Uint8Array,
): ToolOutcome | { internal: string } {
  shell.fs.provide('/run/img', bytes);
  shell.fs.provide('/run/out', new Uint8Array(64 * BLOCK_SIZE));
  const args = argv.slice(1).map((a) => (a === 'IMG' ? '/run/img' : a === 'OUT' ? '/run/out' : a));
  let stdout = '';
  let stderr = '';
  try {
    const status = runThinTool(argv[0]!, { machine: shell.machine, fs: shell.fs }, args, {
      stdin: new Uint8Array(0),
      out: (d) => {
        stdout += typeof d === 'string' ? d : Buffer.from(d).toString('latin1');
      },
      err: (t) => {
        stderr += t;
      },
    });
    const fix = (s: string): string => s.split('/run/img').join('IMG');
    return { status: status ?? 127, text: outcomeText(argv, fix(stdout), fix(stderr)) };
  } catch (e) {
    return { internal: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Runs COMPARED on every case of a batch with the real tools, from one shell script. */
function runRealBatch(dir: string, cases: readonly MetadataCase[]): Map<string, ToolOutcome> {
  const lines: string[] = [];
  for (const c of cases) {
    writeFileSync(join(dir, `c${c.index}.img`), c.bytes);
    COMPARED.forEach((argv, t) => {
      const cmd = argv.map((a) => (a === 'IMG' ? `"$D/c${c.index}.img"` : a)).join(' ');
      const base = `"$D/r${c.index}.${t}"`;
      // 0.9.0 itself can loop on a damaged tree: such a case is counted apart, not compared.
      lines.push(`timeout -s KILL ${REAL_TIMEOUT_S} ${cmd} >${base}.out 2>${base}.err; echo "${c.index} ${t} $?"`);
    });
  }
  const r = spawnSync('sh', ['-c', lines.join('\n')], {
    env: { ...process.env, D: dir },
    encoding: 'latin1',
    maxBuffer: 64 << 20,
  });
  const outcomes = new Map<string, ToolOutcome>();
  for (const line of r.stdout.split('\n')) {
    const [index, tool, status] = line.split(' ');
    if (status === undefined) continue;
    const base = join(dir, `r${index}.${tool}`);
    const fix = (s: string): string => s.split(join(dir, `c${index}.img`)).join('IMG');
    const stdout = fix(readFileSync(`${base}.out`, 'latin1'));
    const stderr = fix(readFileSync(`${base}.err`, 'latin1'));
    outcomes.set(`${index} ${tool}`, { status: Number(status), text: outcomeText(COMPARED[Number(tool)]!, stdout, stderr) });
    rmSync(`${base}.out`);
    rmSync(`${base}.err`);
  }
  for (const c of cases) rmSync(join(dir, `c${c.index}.img`));
  return outcomes;
}

export interface MetadataCampaignOptions {
  readonly seed: number;
  readonly cases: number;
  /** Whether the real tools are run (they must be 0.9.0 on PATH). */
  readonly real: boolean;
  readonly batch?: number;
  /** Names each case on stderr before running it. */
  readonly progress?: boolean;
}

function checkCase(
  shell: LabShell,
  c: MetadataCase,
  real: Map<string, ToolOutcome> | null,
  report: CampaignReport,
): void {
  const where = `case ${c.index} (seed ${c.seed}, ${c.base}, ${c.damage})`;
  COMPARED.forEach((argv, t) => {
    const lab = runLab(shell, argv, c.bytes);
    report.count('tool runs');
    if ('internal' in lab) {
      report.find('internal error', { where, what: `${argv.join(' ')}: ${lab.internal}` });
      return;
    }
    const theirs = real?.get(`${c.index} ${t}`);
    if (theirs === undefined) return;
    if (theirs.status === REAL_HUNG) {
      report.find('real 0.9.0 hung (not compared)', { where, what: `${argv.join(' ')}: lab ${lab.status}` });
      return;
    }
    report.count('compared with the real tool');
    if (theirs.status !== lab.status)
      report.find('exit status differs from 0.9.0', {
        where,
        what: `${argv.join(' ')}: lab ${lab.status}, real ${theirs.status}`,
      });
    else if (theirs.text !== lab.text)
      report.find('output differs from 0.9.0 (same status)', {
        where,
        what: `${argv.join(' ')}\n--- real\n${theirs.text}\n--- lab\n${lab.text}`,
      });
  });
  for (const argv of LAB_ONLY) {
    const lab = runLab(shell, argv, c.bytes);
    report.count('tool runs');
    if ('internal' in lab) report.find('internal error', { where, what: `${argv.join(' ')}: ${lab.internal}` });
  }
}

/** Runs the campaign and returns its report (counts, findings, peak memory, slowest case). */
export function metadataCampaign(o: MetadataCampaignOptions): CampaignReport {
  const report = new CampaignReport('metadata', o.seed);
  const bases = baseImages();
  const shell = new LabShell();
  const dir = o.real ? mkdtempSync(join(tmpdir(), 'thinlab-reliability-')) : '';
  const batch = o.batch ?? 100;
  try {
    for (let first = 0; first < o.cases; first += batch) {
      const cases: MetadataCase[] = [];
      for (let i = first; i < Math.min(o.cases, first + batch); i++) cases.push(metadataCase(bases, o.seed, i));
      const real = o.real ? runRealBatch(dir, cases) : null;
      for (const c of cases) {
        // Progress on stderr: a lab tool that hangs blocks this process, and the last line names the case.
        if (o.progress === true) process.stderr.write(`case ${c.index} (${c.base}, ${c.damage})\n`);
        report.count('images');
        if (c.base === 'held.img' || c.base === 'diverged.img' || c.base.startsWith('tools-held'))
          report.count('images with a held snapshot');
        report.time(() => checkCase(shell, c, real, report));
      }
    }
  } finally {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

export type { Finding };
