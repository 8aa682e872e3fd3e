/**
 * `thinlab thin_check ...` and the other eight thin-provisioning-tools outside the lab shell, on
 * the host's files: the very code the lab shell runs, given a lab machine in which the files the
 * arguments name are present. What a tool writes (thin_restore's and thin_repair's output, a
 * thin_dump -o file) is written back to the host file. Regular files only: this is for metadata
 * images (a copy taken with dd, a kernel's or a customer's), never for a live device.
 */
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LabShell } from '../lab/lab-shell.js';
import { DEFAULT_STACK, STACK_IDS, STACK_VERSIONS, type StackId } from '../model/stack.js';
import { hasThinTool, runThinTool, thinToolPathPositions } from '../tools/index.js';
import { type Output, UsageError } from './output.js';

/** Lab files stand in for host files under this directory (the lab shell may write under /tmp). */
const HOST_DIR = '/tmp/host';

/**
 * A host path that cannot be created (its directory is missing or not writable) stands for a lab
 * path under this directory, which does not exist in the lab: the tool then fails to open it
 * exactly as 0.9.0 fails on the host (thin_dump's ofstream silently, thin_restore loudly).
 */
const NO_DIR = '/no-such-host-dir';

interface HostFile {
  readonly hostPath: string;
  readonly labPath: string;
  /** The bytes put in place, or null when the host file did not exist (an output to create). */
  readonly before: Uint8Array | null;
}

/** Whether a file could be created at `hostPath`: its directory exists and may be written. */
function creatable(hostPath: string): boolean {
  if (hostPath === '') return false;
  try {
    accessSync(dirname(hostPath), constants.W_OK | constants.X_OK);
    return statSync(dirname(hostPath)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Runs `tool` with `args` on host files; returns its exit status. Only the arguments the tool
 * itself takes as paths are host files (its path options' values and its metadata operand, as
 * its getopt_long parses them): `thin_delta --snap2 1 meta.img` leaves `1` alone even when a
 * file named `1` exists.
 */
export function toolCommand(tool: string, args: readonly string[], io: Output, stack: StackId = DEFAULT_STACK): number {
  if (!hasThinTool(tool, stack)) {
    const other = STACK_IDS.find((s) => hasThinTool(tool, s));
    throw new UsageError(
      `${tool} is not a tool of thin-provisioning-tools ${STACK_VERSIONS[stack].thinProvisioningTools} (stack ${stack})${other === undefined ? '' : `: give --stack ${other}`}`,
    );
  }
  const shell = new LabShell({ stack });
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
    const name = hostPath.slice(hostPath.lastIndexOf('/') + 1) || 'file';
    const dir = exists || creatable(hostPath) ? HOST_DIR : NO_DIR;
    const labPath = `${dir}/${files.length}/${name}`;
    const before = exists ? new Uint8Array(readFileSync(hostPath)) : null;
    if (before !== null) shell.fs.provide(labPath, before);
    // The host directory is there, so its stand-in is too: a lab output into a /tmp directory
    // nobody made fails as on the VM (fixtures/kernel/211), and thin_dump's would fail silently.
    if (dir === HOST_DIR) for (const d of [HOST_DIR, `${HOST_DIR}/${files.length}`]) shell.fs.makeDirectory(d);
    files.push({ hostPath, labPath, before });
    return labPath;
  };
  const labArgs = [...args];
  for (const { index, offset } of thinToolPathPositions(tool, args, stack) ?? []) {
    const arg = args[index]!;
    const mapped = mapFile(arg.slice(offset));
    if (mapped === null) return 1;
    labArgs[index] = arg.slice(0, offset) + mapped;
  }
  // The tool's words name the files as the user did, not as the lab placed them.
  const hostWords = (text: string): string => files.reduce((t, f) => t.split(f.labPath).join(f.hostPath), text);
  const status =
    runThinTool(tool, { machine: shell.machine, fs: shell.fs, lvm: shell.lvm }, labArgs, {
      stdin: new Uint8Array(0),
      out: (data) => io.out(hostWords(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'))),
      err: (text) => io.err(hostWords(text)),
    }) ?? 127;
  for (const f of files) {
    const after = shell.fs.get(f.labPath);
    if (after === undefined) continue;
    const bytes = after.readBytes(0, after.sizeBytes);
    if (f.before !== null && Buffer.compare(f.before, bytes) === 0) continue;
    try {
      writeFileSync(f.hostPath, bytes);
    } catch (e) {
      // The lab wrote it, the host refuses it (a read-only file): never a silent success.
      const why = e instanceof Error && 'code' in e ? String(e.code) : String(e);
      io.err(`thinlab ${tool}: ${f.hostPath}: cannot write the tool's output back to the host [${why}]\n`);
      return 1;
    }
  }
  return status;
}
