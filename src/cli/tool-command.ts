/**
 * `thinlab thin_check ...` and the other eight thin-provisioning-tools outside the lab shell, on
 * the host's files: the very code the lab shell runs, given a lab machine in which the files the
 * arguments name are present. What a tool writes (thin_restore's and thin_repair's output, a
 * thin_dump -o file) is written back to the host file. Regular files only: this is for metadata
 * images (a copy taken with dd, a kernel's or a customer's), never for a live device.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { LabShell } from '../lab/lab-shell.js';
import { runThinTool } from '../tools/index.js';
import type { Output } from './output.js';

/** Options whose value is a file the tool reads or writes, per tool (thin_ls's -o is its columns). */
const FILE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  thin_dump: ['-o', '--output'],
  thin_restore: ['-i', '--input', '-o', '--output'],
  thin_repair: ['-i', '--input', '-o', '--output'],
  thin_trim: ['--metadata-dev', '--data-dev'],
};

/** Lab files stand in for host files under this directory (the lab shell may write under /tmp). */
const HOST_DIR = '/tmp/host';

interface HostFile {
  readonly hostPath: string;
  readonly labPath: string;
  /** The bytes put in place, or null when the host file did not exist (an output to create). */
  readonly before: Uint8Array | null;
}

/**
 * Runs `tool` with `args` on host files; returns its exit status. Arguments that name files are
 * the values of the tool's file options and the operands that name existing host files.
 */
export function toolCommand(tool: string, args: readonly string[], io: Output): number {
  const shell = new LabShell();
  const files: HostFile[] = [];
  const mapFile = (hostPath: string): string | null => {
    const known = files.find((f) => f.hostPath === hostPath);
    if (known !== undefined) return known.labPath;
    const exists = existsSync(hostPath);
    if (exists && !statSync(hostPath).isFile()) {
      io.err(
        `thinlab ${tool}: ${hostPath}: not a regular file (outside the lab shell the tools work on metadata images; use the real ${tool} on devices)\n`,
      );
      return null;
    }
    const labPath = `${HOST_DIR}/${files.length}/${hostPath.slice(hostPath.lastIndexOf('/') + 1)}`;
    const before = exists ? new Uint8Array(readFileSync(hostPath)) : null;
    if (before !== null) shell.fs.provide(labPath, before);
    files.push({ hostPath, labPath, before });
    return labPath;
  };
  const fileOptions = FILE_OPTIONS[tool] ?? [];
  const labArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0 && fileOptions.includes(arg.slice(0, eq))) {
      const mapped = mapFile(arg.slice(eq + 1));
      if (mapped === null) return 1;
      labArgs.push(`${arg.slice(0, eq)}=${mapped}`);
    } else if (fileOptions.includes(arg) && i + 1 < args.length) {
      const mapped = mapFile(args[++i]!);
      if (mapped === null) return 1;
      labArgs.push(arg, mapped);
    } else if (!arg.startsWith('-') && existsSync(arg)) {
      const mapped = mapFile(arg);
      if (mapped === null) return 1;
      labArgs.push(mapped);
    } else labArgs.push(arg);
  }
  // The tool's words name the files as the user did, not as the lab placed them.
  const hostWords = (text: string): string => files.reduce((t, f) => t.split(f.labPath).join(f.hostPath), text);
  const status =
    runThinTool(tool, { machine: shell.machine, fs: shell.fs }, labArgs, {
      stdin: new Uint8Array(0),
      out: (data) => io.out(hostWords(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'))),
      err: (text) => io.err(hostWords(text)),
    }) ?? 127;
  for (const f of files) {
    const after = shell.fs.get(f.labPath);
    if (after === undefined) continue;
    const bytes = after.readBytes(0, after.sizeBytes);
    if (f.before === null || Buffer.compare(f.before, bytes) !== 0) writeFileSync(f.hostPath, bytes);
  }
  return status;
}
