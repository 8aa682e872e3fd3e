/** Reading symptoms: status lines field by field, kernel lines by the catalogue, scenarios ranked. */
import { describe, expect, it } from 'vitest';
import { explain, readPoolStatus, readThinStatus } from './explain.js';
import { parseScenario } from './load.js';

describe('reading status lines', () => {
  it('tells out-of-metadata-space from read-only by the metadata count, and reads needs_check and the held root', () => {
    expect(
      readPoolStatus('0 131072 thin-pool 0 64/64 2/1024 - ro no_discard_passdown queue_if_no_space - 16')?.mode,
    ).toBe('out_of_metadata_space');
    const ro = readPoolStatus(
      'pool: 0 131072 thin-pool 7 829/8192 2/1024 33 ro discard_passdown error_if_no_space needs_check 1024 ',
    );
    expect(ro).toMatchObject({ mode: 'read_only', needsCheck: true });
    expect(ro?.fields).toContainEqual([
      'held root',
      'a metadata snapshot is held at block 33 (thin_dump -m reads it; release it when done)',
    ]);
    expect(ro?.fields).toContainEqual([
      'transaction id',
      "7 (set by userspace with set_transaction_id: Docker's and LVM's own counter)",
    ]);
    expect(
      readPoolStatus('0 1024 thin-pool 0 10/64 8/8 - out_of_data_space no_discard_passdown queue_if_no_space - 16')
        ?.summary,
    ).toBe('the pool is out of data space (8/8); new-block writes are waiting, owned blocks are still writable');
    expect(readPoolStatus('0 131072 thin-pool Fail')?.mode).toBe('fail');
    expect(readPoolStatus('0 131072 linear 1:0 0')).toBeNull();
  });

  it('reads a thin status line', () => {
    expect(readThinStatus('0 262144 thin 256 255')).toBe(
      'the thin device maps 256 sectors; its highest mapped sector is 255',
    );
    expect(readThinStatus('thin: 0 262144 thin Fail')).toContain('fail mode');
    expect(readThinStatus('0 262144 thin-pool 0 1/2 3/4 - rw')).toBeNull();
  });
});

describe('explain', () => {
  const declares = parseScenario(
    'a.yaml',
    ['title: a', 'symptoms: ["device-mapper: thin: ...: switching pool to fail mode"]', 'steps:', '  - run: echo'].join(
      '\n',
    ),
  );
  const prints = parseScenario(
    'b.yaml',
    ['title: b', 'steps:', '  - run: echo', '    expect: {output_contains: "switching pool to fail mode"}'].join('\n'),
  );
  const reaches = parseScenario('c.yaml', ['title: c', 'steps:', '  - expect: {pool_mode: {pool: fail}}'].join('\n'));
  const unrelated = parseScenario(
    'd.yaml',
    ['title: d', 'steps:', '  - expect: {pool_mode: {pool: write}}'].join('\n'),
  );

  it('ignores the dmesg timestamp and ranks declared symptoms, then outputs, then states', () => {
    const e = explain('[ 1234.567890] device-mapper: thin: 254:0: switching pool to fail mode', [
      unrelated,
      reaches,
      prints,
      declares,
    ]);
    expect(e.symptom).toBe('device-mapper: thin: 254:0: switching pool to fail mode');
    expect(e.source).toBe('kernel log (dm-thin)');
    expect(e.scenarios.map((m) => [m.scenario.title, m.how])).toEqual([
      ['a', 'symptom'],
      ['b', 'output'],
      ['c', 'state'],
    ]);
  });

  it('knows nothing about an unknown line', () => {
    expect(explain('the printer is on fire', [declares, prints, reaches])).toMatchObject({
      source: null,
      meaning: null,
      scenarios: [],
    });
  });
});
