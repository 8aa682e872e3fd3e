import { describe, expect, it } from 'vitest';
import { STACK_VERSIONS } from '../model/stack.js';
import { compareTranscripts } from './compare.js';
import { DEBIAN12_VM_VERSIONS } from './test-support.js';
import { type ConformReport, renderSideBySide, reportJson, versionMismatches } from './report.js';

function report(lab: string, kernel: string, vm: Partial<ConformReport['vm']> = {}): ConformReport {
  return {
    script: 'x.sh',
    stack: 'debian12',
    ramdiskKb: 65536,
    modelled: STACK_VERSIONS.debian12,
    fixturesKernelRelease: '6.1.0-57-amd64',
    vm: { ...DEBIAN12_VM_VERSIONS, ...vm },
    comparison: compareTranscripts({ text: lab, status: 0 }, { text: kernel, status: 0 }),
  };
}

describe('renderSideBySide', () => {
  it('shows both sides with sdiff marks and the verdict', () => {
    const text = renderSideBySide(report('a\nlab\nc\n', 'a\nkernel\nc\nd\n'), 43);
    const lines = text.split('\n');
    const width = 20;
    expect(lines).toContain(`${'a'.padEnd(width)}   a`);
    expect(lines).toContain(`${'lab'.padEnd(width)} | kernel`);
    expect(lines).toContain(`${''.padEnd(width)} > d`);
    expect(text).toContain('differ: 2 of 4 lines (marked |, < and >), exit status 0 on both\n');
  });

  it('wraps a long line instead of cutting what differs off', () => {
    const long = `${'x'.repeat(25)}END`;
    const text = renderSideBySide(report(`${long}\n`, `${'x'.repeat(25)}NED\n`), 43);
    expect(text).toContain(`${'x'.repeat(20)} | ${'x'.repeat(20)}`);
    expect(text).toContain(`${'xxxxxEND'.padEnd(20)} + xxxxxNED`);
  });

  it('says agree, and names no difference of versions when the VM runs what the fixtures ran', () => {
    const r = report('a\n', 'a\n');
    expect(renderSideBySide(r, 80)).toContain('agree: 1 lines, exit status 0 on both');
    expect(versionMismatches(r)).toEqual([]);
    expect(renderSideBySide(r, 80)).not.toContain('note:');
  });

  it('notes a kernel of another day and a tool of another version', () => {
    const r = report('a\n', 'a\n', { kernelRelease: '6.1.0-58-amd64', thinProvisioningTools: '1.1.0' });
    const text = renderSideBySide(r, 80);
    expect(text).toContain('fixtures were recorded on 6.1.0-57-amd64; this VM runs 6.1.0-58-amd64');
    expect(text).toContain('note: the VM runs thin-provisioning-tools 1.1.0 (the lab reproduces 0.9.0)');
    expect(reportJson(r)).toMatchObject({
      agree: true,
      notes: ['thin-provisioning-tools 1.1.0 (the lab reproduces 0.9.0)'],
    });
  });
});
