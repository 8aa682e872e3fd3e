/**
 * Helpers for the tools' tests: run a command line in a lab shell and with the real 0.9.0
 * binaries on the same files, and return stdout, stderr and the exit status of each, so that the
 * tests can compare them exactly. Files live under /run in the lab and in a temporary directory
 * for the real tools; the command line names them as `@NAME`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dmChecksum } from '../format/crc32c.js';
import { BLOCK_SIZE, BTREE_CSUM_XOR, NODE } from '../format/layout.js';
import { LabShell } from '../lab/lab-shell.js';
import { DEFAULT_STACK, type StackId } from '../model/stack.js';
import { THIN_TOOLS_090 } from '../shared/thin-tool-names.js';

/**
 * `@NAME` in a test's command line: a file the test hands to both tools. Names carry hyphens
 * (`details-zeroed`), so a pattern that stopped at one would hand neither tool the damaged image,
 * and both would print the same "file not found" error, a comparison that proves nothing.
 */
export const FILE_REFERENCE = /@(\w[\w.-]*)/g;

/** `@nothing`: a path that exists on neither side, for the tools' "file not found" errors. */
export const ABSENT_FILE = 'nothing';

export const REAL_TOOLS: readonly string[] = THIN_TOOLS_090;

/** True when every real tool is on PATH and is version 0.9.0, the one the lab reproduces. */
export const hasRealTools: boolean = (() => {
  const missing = REAL_TOOLS.some((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing) return false;
  return spawnSync('thin_check', ['-V'], { encoding: 'utf8' }).stdout === '0.9.0\n';
})();

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** A set of named files, run through both the lab and the real tools. */
export class ToolBench {
  readonly dir: string;

  /**
   * `stack` is the lab's (debian12 runs 0.9.0, debian13 runs 1.1.0); `binDir`, when given, goes
   * first on PATH for the real tools (the 1.1.0 wrappers of real-tools-1x.ts).
   */
  constructor(
    private readonly stack: StackId = DEFAULT_STACK,
    private readonly binDir?: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'thinlab-tools-'));
  }

  private shell(): LabShell {
    return new LabShell({ stack: this.stack });
  }

  private env(): NodeJS.ProcessEnv {
    return this.binDir === undefined ? process.env : { ...process.env, PATH: `${this.binDir}:${process.env.PATH}` };
  }

  /** The files of `images` (and `extra`) a command line names with `@NAME`. */
  files(
    images: Readonly<Record<string, Uint8Array | string>>,
    line: string,
    extra: Readonly<Record<string, Uint8Array | string>> = {},
  ): Record<string, Uint8Array | string> {
    const all: Record<string, Uint8Array | string> = { ...images, ...extra };
    const used: Record<string, Uint8Array | string> = {};
    for (const m of line.matchAll(FILE_REFERENCE)) {
      const file = all[m[1]!];
      // A name that resolves to nothing is a broken test: both tools would only say "not found".
      if (file === undefined && m[1] === ABSENT_FILE) continue;
      if (file === undefined) throw new Error(`test line names @${m[1]!}, which is not one of its files: ${line}`);
      used[m[1]!] = file;
    }
    return used;
  }

  /**
   * The command line through the lab and through the real tool, on the files of `images` (and
   * `extra`) it names with `@NAME`: what each wrote and its status, ready to compare.
   */
  both(
    images: Readonly<Record<string, Uint8Array | string>>,
    line: string,
    extra: Readonly<Record<string, Uint8Array | string>> = {},
  ): { lab: RunResult; real: RunResult } {
    const files = this.files(images, line, extra);
    const pick = ({ stdout, stderr, status }: RunResult): RunResult => ({ stdout, stderr, status });
    return { lab: pick(this.lab(files, line)), real: pick(this.real(files, line)) };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs `line` (with `@NAME` for files) in a fresh lab shell holding `files` under /run. */
  lab(
    files: Readonly<Record<string, Uint8Array | string>>,
    line: string,
  ): RunResult & { files: Record<string, Uint8Array> } {
    const shell = this.shell();
    for (const [name, content] of Object.entries(files)) {
      const f = shell.fs.openForWrite(`/run/${name}`, true);
      if (typeof f === 'string') throw new Error(f);
      f.writeBytes(0, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    }
    // The whole line's stderr, as the real side's `sh -c` gives it: a line of several commands
    // (`thin_dump ... > x.xml; thin_restore ...`) would otherwise send only the last one's there.
    const stdout = shell.runLine(`{ ${line.replace(FILE_REFERENCE, '/run/$1')}; } 2>/run/stderr.txt`);
    const status = Number(shell.lastStatus);
    const errFile = shell.fs.get('/run/stderr.txt');
    const stderr =
      errFile === undefined ? '' : new TextDecoder('latin1').decode(errFile.readBytes(0, errFile.sizeBytes));
    const out: Record<string, Uint8Array> = {};
    for (const name of Object.keys(files)) {
      const f = shell.fs.get(`/run/${name}`);
      if (f !== undefined) out[name] = f.readBytes(0, f.sizeBytes);
    }
    return { stdout, stderr, status, files: out };
  }

  /**
   * Runs `line` on both sides with stdout and stderr as one stream (`2>&1`), to compare the order
   * in which the two are written, which is what a terminal or the oracle's capture shows.
   */
  combined(files: Readonly<Record<string, Uint8Array | string>>, line: string): { lab: string; real: string } {
    const shell = this.shell();
    for (const [name, content] of Object.entries(files)) {
      const f = shell.fs.openForWrite(`/run/${name}`, true);
      if (typeof f === 'string') throw new Error(f);
      f.writeBytes(0, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    }
    const lab = shell.runLine(`${line.replace(FILE_REFERENCE, '/run/$1')}; echo "rc=$?"`);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, name), content);
    const r = spawnSync('sh', ['-c', `${line.replace(FILE_REFERENCE, `${this.dir}/$1`)} 2>&1; echo "rc=$?"`], {
      encoding: 'latin1',
      maxBuffer: 256 << 20,
      env: this.env(),
    });
    return { lab, real: r.stdout.split(this.dir).join('/run') };
  }

  /** Runs the same line with the real tools, the files written to the temporary directory. */
  real(
    files: Readonly<Record<string, Uint8Array | string>>,
    line: string,
  ): RunResult & { files: Record<string, Uint8Array> } {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, name), content);
    const r = spawnSync('sh', ['-c', line.replace(FILE_REFERENCE, `${this.dir}/$1`)], {
      encoding: 'latin1',
      maxBuffer: 256 << 20,
      env: this.env(),
    });
    const out: Record<string, Uint8Array> = {};
    for (const name of Object.keys(files)) out[name] = readFileSync(join(this.dir, name));
    // Paths in messages name the temporary directory; the lab names /run.
    const fix = (s: string): string => s.split(this.dir).join('/run');
    return { stdout: fix(r.stdout), stderr: fix(r.stderr), status: r.status ?? -1, files: out };
  }
}

/**
 * A copy of a metadata image written by 1.1.0 with what 1.1.0 does not reproduce from run to run
 * cleared: the bytes of each btree node after its last value, which it never writes (its nodes are
 * allocated with Block::new, not zeroed, so they hold whatever the buffer held before), and the
 * node's checksum, which covers them. Everything else is compared.
 */
export function withoutUnwrittenNodeTails(image: Uint8Array): Uint8Array {
  const out = Uint8Array.from(image);
  const dv = new DataView(out.buffer);
  for (let at = 0; at + BLOCK_SIZE <= out.length; at += BLOCK_SIZE) {
    const salt = (dv.getUint32(at, true) ^ dmChecksum(out, at + 4, at + BLOCK_SIZE, 0)) >>> 0;
    if (salt !== BTREE_CSUM_XOR) continue;
    const nr = dv.getUint32(at + NODE.nrEntries, true);
    const max = dv.getUint32(at + NODE.maxEntries, true);
    const valueSize = dv.getUint32(at + NODE.valueSize, true);
    const tail = NODE.header + max * 8 + nr * valueSize;
    if (tail > BLOCK_SIZE) continue;
    out.fill(0, at + tail, at + BLOCK_SIZE);
    dv.setUint32(at, 0, true);
  }
  return out;
}
