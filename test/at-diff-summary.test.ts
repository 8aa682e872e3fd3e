/**
 * `thinlab at` and `thinlab diff` show Docker, containerd and LVM beside device-mapper: after a
 * Docker step, the diff names the containers that changed and Docker's transaction id; `at` lists
 * every container, snapshot and volume with what `docker ps`, `ctr snapshots ls` and `lvs` say.
 * And `whatif --expect` prints where a check first fails on each side.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { atCommand, diffCommand, recordScript, whatIfCommand } from '../src/cli/history-commands.js';
import { labSummary, summaryEntries } from '../src/lab/lab-summary.js';
import { History } from '../src/replay/history.js';
import { captureOutput, useTempStore } from './temp-store.js';

const SCRIPT = [
  `echo '{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}' > /etc/docker/daemon.json`,
  'systemctl start docker',
  'docker run -d --name web alpine >/dev/null 2>&1',
  'docker stop web >/dev/null',
].join('\n');

const temp = useTempStore('summary', 'all');
const out = captureOutput();
let h: History;

beforeAll(async () => {
  h = new History(temp.store);
  await recordScript(h, SCRIPT, { continueBranch: false, ramdiskKb: 524288, trace: false }, out.io);
});

describe('at and diff beyond device-mapper', () => {
  it('at lists the summary lines of the state at that position', async () => {
    out.reset();
    await atCommand(h, { position: '4' }, out.io);
    const entries = summaryEntries(labSummary((await h.stateAt('main', 4)).lab));
    expect(entries.map((e) => e.key)).toEqual([
      'docker',
      'docker image alpine:latest',
      'docker container web',
      'lv docker/thinpool',
    ]);
    for (const e of entries) expect(out.text()).toContain(`\n${e.key}: ${e.value}\n`);
    expect(out.text()).toMatch(
      /\ndocker container web: [0-9a-f]{12}, image alpine:latest, exited \(\d+\), thin id \d+ \(init \d+\)\n/,
    );
    expect(out.text()).toMatch(/\nlv docker\/thinpool: twi-a[-o]t--- \S+, active, Data% \d+\.\d\d Meta% \d+\.\d\d\n/);
  });

  it('diff names the container whose state changed', async () => {
    out.reset();
    await diffCommand(h, { a: '3', b: '4' }, out.io);
    expect(out.text()).toMatch(/\ndocker container web:\n {2}- .*, running, .*\n {2}\+ .*, exited \(\d+\), .*\n/);
    out.reset();
    await diffCommand(h, { a: '1', b: '3' }, out.io);
    // Docker is configured by `systemctl start docker` (position 2): before it there is nothing to show.
    expect(out.text()).toMatch(
      /\ndocker:\n {2}- \(absent\)\n {2}\+ running, pool docker-thinpool, transaction id \d+\n/,
    );
    expect(out.text()).toMatch(/\ndocker container web:\n {2}- \(absent\)\n/);
  });

  it('whatif --expect prints where the check first fails on each side, naming a missing pool', async () => {
    out.reset();
    await whatIfCommand(
      h,
      {
        at: '4',
        inject: 'dmsetup remove docker-thinpool',
        expect: 'pool_mode docker-thinpool=write',
        where: '',
        name: 'gone',
      },
      out.io,
    );
    expect(out.text()).toContain(
      "pool_mode docker-thinpool=write after position 4:\n  main  holds throughout; at the end: holds\n  gone  fails from @5: no live pool named 'docker-thinpool' (there is no live pool); at the end: no live pool named 'docker-thinpool' (there is no live pool)\n",
    );
  });
});
