import { describe, expect, it } from 'vitest';
import { writeCpio } from './cpio.js';

function ascii(bytes: Uint8Array, from: number, length: number): string {
  return new TextDecoder().decode(bytes.slice(from, from + length));
}

describe('writeCpio', () => {
  it('writes newc headers, names and data padded to 4 bytes, and the trailer', () => {
    const out = writeCpio([
      { kind: 'file', path: 'init', data: new TextEncoder().encode('#!/bin/sh\n'), executable: true },
    ]);
    expect(ascii(out, 0, 6)).toBe('070701');
    // mode, then the file size and the name size (with its NUL) at their fixed offsets.
    expect(ascii(out, 14, 8)).toBe((0o100755).toString(16).padStart(8, '0'));
    expect(Number.parseInt(ascii(out, 54, 8), 16)).toBe(10);
    expect(Number.parseInt(ascii(out, 94, 8), 16)).toBe(5);
    expect(ascii(out, 110, 4)).toBe('init');
    // 110 + 5 = 115, padded to 116; 10 bytes of data padded to 12.
    expect(ascii(out, 116, 10)).toBe('#!/bin/sh\n');
    expect(ascii(out, 128, 6)).toBe('070701');
    expect(ascii(out, 128 + 110, 10)).toBe('TRAILER!!!');
    expect(out.length % 4).toBe(0);
  });

  it('writes symlinks with their target as data and device nodes with their numbers', () => {
    const out = writeCpio([
      { kind: 'symlink', path: 'lib', target: 'usr/lib' },
      { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
    ]);
    expect(ascii(out, 14, 8)).toBe((0o120777).toString(16).padStart(8, '0'));
    // 110 + 'lib\0' = 114, padded to 116; 7 bytes of target padded to 124.
    expect(ascii(out, 116, 7)).toBe('usr/lib');
    const second = 124;
    expect(ascii(out, second, 6)).toBe('070701');
    expect(ascii(out, second + 14, 8)).toBe((0o020600).toString(16).padStart(8, '0'));
    expect(Number.parseInt(ascii(out, second + 78, 8), 16)).toBe(5);
    expect(Number.parseInt(ascii(out, second + 86, 8), 16)).toBe(1);
  });
});
