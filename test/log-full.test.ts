/**
 * Issue 17, defect 14: `log --full` indented every event after one with output by 8 more spaces
 * and ended on an unterminated line, because the pattern that put `| ` before each line also
 * matched the empty piece after the final newline.
 */
import { expect, it } from 'vitest';
import { indentedOutput } from '../src/cli/log-command.js';

it('indents each line of a command output once and ends every line', () => {
  expect(indentedOutput('a\nb\n')).toBe('        | a\n        | b\n');
  expect(indentedOutput('no newline')).toBe('        | no newline\n');
  expect(indentedOutput('a\n\nb\n')).toBe('        | a\n        |\n        | b\n');
  expect(indentedOutput('')).toBe('');
  // Whatever the output, what follows it starts at the left margin on a line of its own.
  for (const out of ['x\n', 'x', '\n', 'x\n\n', 'a\nb']) {
    const text = `${indentedOutput(out)}     2  next event\n`;
    expect(text.endsWith('\n     2  next event\n')).toBe(true);
    expect(
      text.split('\n').every((line) => line === '' || line.startsWith('        |') || line.startsWith('     2')),
    ).toBe(true);
  }
});
