import { describe, expect, it } from 'vitest';
import { THIN_TOOL_NAMES } from '../tools/index.js';
import { COMMANDS, KNOWN_ELSEWHERE } from './commands.js';
import { VM_COMMANDS } from './known-commands.js';
import { LabShell } from './lab-shell.js';

const shell = (): LabShell => new LabShell({ ramdiskKb: 1024 });

/** The names a printed listing mentions, in order (split on the separators it uses). */
function listedNames(text: string): string[] {
  return text.split(/[\s,]+/).filter((w) => w !== '');
}

describe('the command registry', () => {
  /**
   * Commands whose whole job has no output (busybox sync, the lab's power loss): with no
   * arguments they succeed silently, as the real ones do.
   */
  const SILENT = new Set(['sync', 'crash']);

  for (const name of COMMANDS.keys()) {
    it(`${name} runs with --help and with no arguments, printing something and ending with a status`, () => {
      let printed = '';
      for (const args of ['--help', '']) {
        const sh = shell();
        const out = sh.runLine(`${name} ${args}`.trimEnd());
        expect(out).not.toMatch(/InvariantViolation|TypeError|ReferenceError|at .*\.ts:\d+/);
        expect(sh.lastStatus).toMatch(/^[0-9]+$/);
        // The shell's own answer for a command it cannot run never comes back for a registered one.
        expect(sh.lastStatus).not.toBe('127');
        printed += out;
      }
      if (!SILENT.has(name)) expect(printed).not.toBe('');
    });
  }

  it('registers every thin tool of src/tools', () => {
    for (const tool of THIN_TOOL_NAMES) expect(COMMANDS.has(tool), tool).toBe(true);
  });

  it('help lists exactly the registered names, in the registry order', () => {
    const out = shell().runLine('help');
    const names = listedNames(out.split('------------------\n')[1] ?? '');
    expect(names).toEqual([...COMMANDS.keys()]);
  });

  it('the not-modelled line lists exactly the registered names and exits 127', () => {
    const sh = shell();
    const out = sh.runLine('chmod 600 /tmp/a');
    const m = /^thinlab: not modelled: chmod \(supported: (.*), and the shell's builtins\)\n$/.exec(out);
    expect(m, out).not.toBeNull();
    expect(m![1]!.split(', ')).toEqual([...COMMANDS.keys()]);
    expect(sh.lastStatus).toBe('127');
  });

  it('knows the unmodelled busybox applets as the VM list minus the registry', () => {
    expect([...KNOWN_ELSEWHERE].sort()).toEqual([...VM_COMMANDS].filter((n) => !COMMANDS.has(n)).sort());
    expect(KNOWN_ELSEWHERE.has('chmod')).toBe(true);
    expect(KNOWN_ELSEWHERE.has('ls')).toBe(false);
    expect(KNOWN_ELSEWHERE.has('cat')).toBe(false);
  });

  it('an unknown name is not found (127)', () => {
    const sh = shell();
    const out = sh.runLine('frobnicate --now');
    expect(out).toMatch(/frobnicate: not found\n$/);
    expect(out).not.toContain('not supported');
    expect(sh.lastStatus).toBe('127');
  });

  it('rm of a missing file fails as busybox rm does; rm -f is silent', () => {
    const sh = shell();
    expect(sh.runLine('rm /nonexistent')).toBe("rm: can't remove '/nonexistent': No such file or directory\n");
    expect(sh.lastStatus).toBe('1');
    expect(sh.runLine('rm -f /nonexistent')).toBe('');
    expect(sh.lastStatus).toBe('0');
  });
});
