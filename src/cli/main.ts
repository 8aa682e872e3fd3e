/**
 * The thinlab command line: the only place that reads argv, the environment and files.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LabShell, DEFAULT_RAMDISK_KB } from '../shell/shell.js';

const USAGE = `usage: thinlab <command> [options]

commands:
  sh [--ramdisk-kb N] [--trace] [FILE]
                               run a script (standard input when no FILE) against a fresh lab
                               machine shaped like the kernel oracle VM, printing what the real
                               dmsetup, dd, blkdiscard and dmesg would print; --trace shows each
                               command as '$ command' before its output
  demo                         the tour of a thin pool's life (scenarios/tour.sh), traced
`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sh':
      return runShell(rest);
    case 'demo':
      return runDemo();
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`thinlab: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

function runShell(args: string[]): number {
  let ramdiskKb = DEFAULT_RAMDISK_KB;
  let file: string | null = null;
  let trace = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--trace') trace = true;
    else if (a === '--ramdisk-kb') {
      const v = args[++i];
      if (v === undefined || !/^[1-9][0-9]*$/.test(v)) {
        process.stderr.write(`thinlab sh: --ramdisk-kb needs a positive number of KiB, got '${v ?? ''}'\n`);
        return 2;
      }
      ramdiskKb = Number(v);
    } else if (a.startsWith('-') && a !== '-') {
      process.stderr.write(`thinlab sh: unknown option '${a}'\n`);
      return 2;
    } else file = a;
  }
  let script: string;
  try {
    script = readFileSync(file === null || file === '-' ? 0 : file, 'latin1');
  } catch (e) {
    process.stderr.write(`thinlab sh: cannot read ${file ?? 'standard input'}: ${(e as Error).message}\n`);
    return 2;
  }
  const shell = new LabShell({ ramdiskKb });
  if (!trace) {
    process.stdout.write(Buffer.from(shell.runScript(script), 'latin1'));
    return 0;
  }
  for (const line of script.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) process.stdout.write(`${line}\n`);
    else if (trimmed !== '') {
      process.stdout.write(`$ ${line}\n`);
      process.stdout.write(Buffer.from(shell.runLine(line), 'latin1'));
    }
  }
  return 0;
}

function runDemo(): number {
  const tour = fileURLToPath(new URL('../../scenarios/tour.sh', import.meta.url));
  return runShell(['--trace', tour]);
}

process.exitCode = main(process.argv.slice(2));
