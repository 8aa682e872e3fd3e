/**
 * The real thin-provisioning-tools' side of the metadata campaign: COMPARED on every image of a
 * batch, from shell scripts (a process per call from node would cost more than the tools), eight
 * at once (REAL_SHELLS), run asynchronously so that the lab's next batch runs meanwhile; what they
 * printed is kept between runs by image digest (RealOutcomeCache). 0.9.0 is the host's
 * (/usr/sbin); 1.1.0 is Debian 13's, unpacked and run through wrappers (src/tools/real-tools-1x.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolsRelease } from '../src/tools/release.js';
import { COMPARED, outcomeText, type ToolOutcome } from './metadata-lab.js';

/**
 * How much CPU a real tool may use on one image before it counts as hung. A CPU limit set once
 * for the whole script (`ulimit -t`) costs nothing per call, where `timeout` was one more process
 * for each of the tens of thousands of runs; the kernel ends the tool with SIGXCPU (status 152).
 */
const REAL_CPU_LIMIT_S = 20;
export const isRealHang = (status: number): boolean => status === 152 || status === 137;

/** Where each release's tools are: a directory to run them from, '' for the host's PATH. */
export type RealTools = ReadonlyMap<ToolsRelease, string>;

/**
 * The command a wrapper of real-tools-1x.ts runs (`exec LD --library-path LIBS --argv0 NAME
 * PDATA "$@"`), to run it without the wrapper's own shell: one process per call instead of two.
 */
function directCommand(binDir: string, name: string): string {
  const line = readFileSync(join(binDir, name), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('exec '));
  if (line === undefined) throw new Error(`${join(binDir, name)} is not a wrapper of real-tools-1x.ts`);
  return line.slice('exec '.length).replace(/ "\$@"$/, '');
}

/**
 * The environment the real tools run in: the lab's 1.1.0 panics as on a machine without
 * RUST_BACKTRACE (rust-panic-1x.ts); a caller's RUST_BACKTRACE=1 would add a `stack backtrace:`
 * to every real panic (seed 17 case 4544).
 */
function realToolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.RUST_BACKTRACE;
  return env;
}

/** What one real tool printed, with the image's path written IMG. */
export interface RealRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One real tool run on image bytes, outside a batch (the regression tests, show-case.ts): `line`
 * names the image IMG; `binDir` holds the release's tools ('' for the host's PATH, 0.9.0).
 */
export function realToolOnBytes(binDir: string, bytes: Uint8Array, line: readonly string[]): RealRun {
  const img = join(tmpdir(), `thinlab-real-${process.pid}.img`);
  writeFileSync(img, bytes);
  try {
    const [tool, ...args] = line;
    const r = spawnSync(
      join(binDir, tool!),
      args.map((a) => (a === 'IMG' ? img : a)),
      { encoding: 'latin1', maxBuffer: 1 << 30, env: realToolEnv() },
    );
    const fix = (t: string): string => t.split(img).join('IMG');
    return { status: r.status ?? -1, stdout: fix(r.stdout), stderr: fix(r.stderr) };
  } finally {
    rmSync(img, { force: true });
  }
}

/** The image file of case `index` in the batch directory. */
export const imagePath = (dir: string, index: number): string => join(dir, `c${index}.img`);

/**
 * Real shells run at once per batch. 1.1.0's thin_check and thin_dump sleep about 0.5 s of wall
 * time before they exit (a progress thread's poll is joined, `clock_nanosleep` under strace), with
 * almost no CPU; so the real side of a batch is bound by sleeps, not by the two cores.
 */
const REAL_SHELLS = 8;

/** The shell lines that run COMPARED with every release on `indexes`' images. */
function realScript(indexes: readonly number[], tools: RealTools): string {
  // A real tool can itself loop on a damaged tree: such a case is counted apart, not compared.
  const lines: string[] = [`ulimit -t ${REAL_CPU_LIMIT_S}`];
  // Each release's command for each tool line, read from its wrapper once, not once per image.
  const names = new Map(
    [...tools].map(([release, binDir]) => [
      release,
      COMPARED.map((argv) => (binDir === '' ? argv[0]! : directCommand(binDir, argv[0]!))),
    ]),
  );
  for (const index of indexes)
    for (const [release] of tools)
      COMPARED.forEach((argv, t) => {
        const name = names.get(release)![t]!;
        const cmd = [name, ...argv.slice(1).map((a) => (a === 'IMG' ? `"$D/c${index}.img"` : a))].join(' ');
        const base = `"$D/r${release}.${index}.${t}"`;
        lines.push(`${cmd} >${base}.out 2>${base}.err </dev/null; echo "${release} ${index} ${t} $?"`);
      });
  return `${lines.join('\n')}\n`;
}

/** Runs one script in `sh -s` with D set to the batch directory; resolves to what it printed. */
function runScript(script: string, dir: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    // The script goes to the shell's standard input, not its argv: a batch of 1.1.0 lines (each
    // with its ld.so and library path) passes the 128 KiB a single argument may have (E2BIG).
    const child = spawn('sh', ['-s'], { env: realToolEnv({ D: dir }), stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(script);
    let text = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => (text += d));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
}

/**
 * Runs COMPARED with every release on each image (already written to imagePath) and returns
 * `release index tool` -> outcome. The images are removed afterwards.
 */
export async function runRealBatch(
  dir: string,
  indexes: readonly number[],
  tools: RealTools,
): Promise<Map<string, ToolOutcome>> {
  // The images are dealt to REAL_SHELLS shells that run at once: 1.1.0's tools spend most of
  // their wall time asleep (REAL_SHELLS), so one shell left both cores idle for most of the campaign.
  const shells = Array.from({ length: Math.min(REAL_SHELLS, indexes.length) }, (_, s) =>
    realScript(
      indexes.filter((_, i) => i % REAL_SHELLS === s),
      tools,
    ),
  );
  const stdout = (await Promise.all(shells.map((script) => runScript(script, dir)))).join('');
  const outcomes = new Map<string, ToolOutcome>();
  for (const line of stdout.split('\n')) {
    const [release, index, tool, status] = line.split(' ');
    if (status === undefined) continue;
    const base = join(dir, `r${release}.${index}.${tool}`);
    const fix = (s: string): string => s.split(imagePath(dir, Number(index))).join('IMG');
    const out = fix(readFileSync(`${base}.out`, 'latin1'));
    const err = fix(readFileSync(`${base}.err`, 'latin1'));
    outcomes.set(`${release} ${index} ${tool}`, {
      status: Number(status),
      text: outcomeText(COMPARED[Number(tool)]!, out, err),
    });
    rmSync(`${base}.out`);
    rmSync(`${base}.err`);
  }
  for (const index of indexes) rmSync(imagePath(dir, index), { force: true });
  return outcomes;
}

/** The real tools' outcomes of one image, by `release tool-index`. */
export type RealImageOutcomes = ReadonlyMap<string, ToolOutcome>;

/**
 * The real tools' outcomes kept between runs, one file per image named by the SHA-1 of its bytes,
 * under a directory named by the tools' identity (each release's binary: path, size, mtime) and
 * COMPARED. The real tools are deterministic on the same bytes, so a campaign run again after a
 * lab fix needs only the lab's side; a new build of either release, or a new tool line, starts an
 * empty directory. The campaign counts how many images' outcomes came from here.
 */
export class RealOutcomeCache {
  private readonly dir: string;

  constructor(root: string, tools: RealTools) {
    const identity = [...tools].map(([release, binDir]) => `${release} ${binaryIdentity(binDir)}`);
    const tag = createHash('sha1').update(JSON.stringify({ identity, COMPARED })).digest('hex').slice(0, 16);
    this.dir = join(root, tag);
    mkdirSync(this.dir, { recursive: true });
  }

  get(digest: string): RealImageOutcomes | undefined {
    const file = join(this.dir, `${digest}.json`);
    if (!existsSync(file)) return undefined;
    return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, ToolOutcome>));
  }

  put(digest: string, outcomes: RealImageOutcomes): void {
    // Written whole under another name, then renamed: a run stopped part way leaves no torn file.
    const file = join(this.dir, `${digest}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(outcomes)));
    renameSync(`${file}.tmp`, file);
  }
}

/** The binary a release's thin_check runs, with its size and mtime: a rebuilt tool is another tool. */
function binaryIdentity(binDir: string): string {
  const binary =
    binDir === ''
      ? realpathSync(spawnSync('sh', ['-c', 'command -v thin_check'], { encoding: 'utf8' }).stdout.trim())
      : (directCommand(binDir, 'thin_check').split(' ').at(-1) ?? '').replaceAll("'", '');
  const st = statSync(binary);
  return `${binary} ${st.size} ${st.mtimeMs}`;
}
