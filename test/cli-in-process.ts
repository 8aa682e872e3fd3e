/**
 * Runs the thinlab command line in the test's own process (src/cli/run-cli.ts), with its output
 * captured: the same code as `npx thinlab`, without a node start-up per command.
 */
import { runCli } from '../src/cli/run-cli.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `thinlab ARGS` on the history at `db` (as THINLAB_STORE would name it), with THINLAB_STACK if given. */
export async function cli(args: readonly string[], db: string, envStack?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(
    args,
    {
      out: (text) => {
        stdout += text;
      },
      err: (text) => {
        stderr += text;
      },
      interactive: false,
    },
    `sqlite:${db}`,
    envStack,
  );
  return { status, stdout, stderr };
}

/** Words of a command line as sh splits them: single and double quotes, no expansions. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let word: string | null = null;
  let last = 0;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    // Pieces with no space between them are one word: --expect='a b' or a"b".
    const piece = m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!;
    if (word !== null && m.index === last) word += piece;
    else {
      if (word !== null) words.push(word);
      word = piece;
    }
    last = re.lastIndex;
  }
  if (word !== null) words.push(word);
  return words;
}
