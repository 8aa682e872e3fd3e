import { describe, expect, it } from 'vitest';
import { latin1Bytes, latin1Text } from '../shared/bytes.js';
import { sort } from './text-tools.js';

const noFiles = (): string => 'No such file or directory';
const sorted = (argv: string[], input: string): string => latin1Text(sort(argv, latin1Bytes(input), noFiles).stdout);

describe('sort', () => {
  it('sorts lines in byte order, as busybox does whatever the locale', () => {
    // A tab and ':' come before '_' and letters: `dmsetup ls | sort` of fixtures/lvm/80.
    expect(sorted([], 'docker-thinpool_tdata\t(254:1)\ndocker-thinpool\t(254:2)\nB\na\n')).toBe(
      'B\na\ndocker-thinpool\t(254:2)\ndocker-thinpool_tdata\t(254:1)\n',
    );
  });

  it('reverses, compares numbers and drops repeats', () => {
    expect(sorted(['-n'], '10\n9\n100\n')).toBe('9\n10\n100\n');
    expect(sorted(['-rn'], '10\n9\n100\n')).toBe('100\n10\n9\n');
    expect(sorted(['-u'], 'b\na\nb\n')).toBe('a\nb\n');
  });

  it('refuses an option it does not know', () => {
    const r = sort(['-k2'], latin1Bytes('x\n'), noFiles);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("sort: unrecognized option '-k'\n");
  });
});
