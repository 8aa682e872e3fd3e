/**
 * `thinlab sh FILE` runs a script as `sh FILE` runs it in the VM (busybox 1.35 ash, not
 * interactive): a failed expansion or a syntax error ends the script with status 2, the EXIT trap
 * fires at the script's end and on `exit`, and a replay of the recorded events prints the same.
 * Commands typed at a terminal keep ash's interactive rules (an error loses that command only).
 * The expected texts are what `busybox sh FILE` 1.35.0 printed on the host (script named
 * /scenario.sh as in the VM).
 */
import { describe, expect, it } from 'vitest';
import { recordScript, replayCommand } from '../src/cli/history-commands.js';
import { runUnrecorded } from '../src/cli/sh-command.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { scriptPieces } from '../src/lab/script-pieces.js';
import { History } from '../src/replay/history.js';
import { captureOutput, useTempStore } from './temp-store.js';

const temp = useTempStore('sh-script-mode');

/** The versions of the branch's ShellCommandRan events as stored (before any upcast on read). */
async function storedShellVersions(h: History): Promise<number[]> {
  const stream = (await h.branch('main')).stream;
  const versions: number[] = [];
  for await (const e of temp.store.readStream(stream)) if (e.type === 'ShellCommandRan') versions.push(e.version);
  return versions;
}

/** Each script with what busybox sh printed for it (stdout and stderr in order) and its exit status. */
const SCRIPTS: ReadonlyArray<{ name: string; script: string; printed: string; status: number }> = [
  {
    name: 'a failed expansion ends the script',
    script: 'echo $((1/0)); echo same\necho after\n',
    printed: '/scenario.sh: line 1: divide by zero\n',
    status: 2,
  },
  {
    name: 'a syntax error ends the script after what ran before it',
    script: 'echo a\nif then\necho b\n',
    printed: 'a\n/scenario.sh: line 2: syntax error: unexpected "then"\n',
    status: 2,
  },
  {
    name: 'the EXIT trap fires at the end of the script',
    script: "trap 'echo bye' EXIT\necho hi\n",
    printed: 'hi\nbye\n',
    status: 0,
  },
  {
    name: 'the EXIT trap keeps the status of the script',
    script: "trap 'false' EXIT\ntrue\n# a comment after the last command\n",
    printed: '',
    status: 0,
  },
  {
    name: 'the EXIT trap fires on exit',
    script: "trap 'echo bye $?' EXIT\necho hi\nexit 3\necho no\n",
    printed: 'hi\nbye 3\n',
    status: 3,
  },
  {
    name: 'the EXIT trap fires after a failed expansion',
    script: "trap 'echo t' EXIT\necho ${x:?unset}\necho no\n",
    printed: '/scenario.sh: line 2: x: unset\nt\n',
    status: 2,
  },
  {
    name: 'a syntax error at the end of the file names the line after the last',
    script: 'echo a\necho `b\n',
    printed: 'a\n/scenario.sh: line 3: syntax error: EOF in backquote substitution\n',
    status: 2,
  },
  {
    name: 'an unterminated quote reads on to the end of the file',
    script: "x='a\nb\n\n",
    printed: '/scenario.sh: line 4: syntax error: unterminated quoted string\n',
    status: 2,
  },
  {
    name: 'exit in the EXIT trap sets the status',
    script: "trap 'exit 5' EXIT\ntrue\n",
    printed: '',
    status: 5,
  },
];

describe('thinlab sh FILE runs a script as sh FILE does', () => {
  for (const { name, script, printed, status } of SCRIPTS) {
    it(`${name}: recorded, replayed and unrecorded alike`, async () => {
      const h = new History(temp.store);
      const out = captureOutput();
      const r = await recordScript(h, script, { continueBranch: false, ramdiskKb: 1024, trace: false }, out.io);
      expect(out.text()).toBe(printed);
      expect(r.status).toBe(status);
      // Each piece is stored as a v4 event with its mode, which a thinlab without modes refuses.
      expect(await storedShellVersions(h)).toEqual(expect.arrayContaining([4]));
      expect(await storedShellVersions(h)).not.toContain(3);
      // runScript (the transcript tests' path) agrees.
      const shell = new LabShell({ ramdiskKb: 1024 });
      expect(shell.runScript(script)).toBe(printed);
      // A replay of the events gives the recorded outcome (it throws on any difference).
      const replayed = captureOutput();
      await replayCommand(h, {}, replayed.io);
      expect(replayed.text()).toMatch(/every event gave the recorded outcome/);
      // --no-record --trace runs the pieces one by one too.
      const traced = captureOutput();
      const traceStatus = runUnrecorded(
        script,
        { ramdiskKb: 1024, trace: true, interactive: false, files: new Map() },
        traced.io,
      );
      // The trace prints each command (a piece may span lines) before its output: the output is the
      // text after the last trace line, which is all of it for scripts whose commands print.
      const withoutTrace = scriptPieces(new LabShell({ ramdiskKb: 1024 }), script).reduce(
        (text, piece) => text.replace(`$ ${piece.command}\n`, ''),
        traced.text(),
      );
      expect(withoutTrace.replace(/^#.*\n/gm, '')).toBe(printed);
      expect(traceStatus).toBe(status);
    });
  }

  it('typed at a terminal, an error loses that command only, as at an interactive prompt', async () => {
    const h = new History(temp.store);
    const out = captureOutput();
    const r = await recordScript(
      h,
      'echo $((1/0)); echo same\necho after\n',
      { continueBranch: false, ramdiskKb: 1024, trace: false, interactive: true },
      out.io,
    );
    expect(out.text()).toBe('/scenario.sh: line 1: divide by zero\nafter\n');
    expect(r.status).toBe(0);
    // Prompt lines stay v3 events, readable by a thinlab that knows no modes.
    expect(await storedShellVersions(h)).toEqual([3, 3]);
    const replayed = captureOutput();
    await replayCommand(h, {}, replayed.io);
    expect(replayed.text()).toMatch(/every event gave the recorded outcome/);
  });
});
