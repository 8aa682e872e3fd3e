/**
 * A Docker command's event keeps the pool operations beneath it: what the driver made the kernel
 * do, in order (issue 7: each Docker operation and the pool events beneath it, in one log).
 */
import { expect, it } from 'vitest';
import { LabRuntime } from '../replay/lab-runtime.js';

const SETUP = [
  'pvcreate /dev/ram0',
  'vgcreate docker /dev/ram0',
  'lvcreate --wipesignatures y -n thinpool docker -l 95%VG',
  'lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG',
  'lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta',
  `echo '{"storage-driver":"devicemapper","storage-opts":["dm.thinpooldev=/dev/mapper/docker-thinpool"]}' > /etc/docker/daemon.json`,
  'systemctl start docker',
];

const operationsOf = (lab: LabRuntime, command: string): readonly string[] => {
  const e = lab.runCommand(command);
  if (e.type !== 'ShellCommandRan') throw new Error('a shell command');
  return e.data.operations ?? [];
};

it('records under docker pull and docker run the snapshots, transaction ids and activations the driver did', () => {
  const lab = LabRuntime.fresh({ ramdiskKb: 524288 });
  for (const c of SETUP) lab.runCommand(c);
  const pull = operationsOf(lab, 'docker pull alpine');
  // alpine has one layer: a snapshot of the base device (id 1) as device 2, in a transaction.
  expect(pull.slice(0, 2)).toEqual([
    'dm message docker-thinpool 0 create_snap 2 1',
    'dm message docker-thinpool 0 set_transaction_id 1 2',
  ]);
  const run = operationsOf(lab, 'docker run -d --name web alpine sleep 1000');
  // The -init layer (3) from the image's top layer (2), then the container's layer (4) from -init.
  const messages = run.filter((o) => o.startsWith('dm message'));
  expect(messages).toEqual([
    'dm message docker-thinpool 0 create_snap 3 2',
    'dm message docker-thinpool 0 set_transaction_id 2 3',
    'dm message docker-thinpool 0 create_snap 4 3',
    'dm message docker-thinpool 0 set_transaction_id 3 4',
  ]);
  expect(
    run.some((o) =>
      /^dm load docker-8:1-1048577-[0-9a-f]{64}: 0 20971520 thin \/dev\/mapper\/docker-thinpool 4$/.test(o),
    ),
  ).toBe(true);
  // A refused command records no operations: nothing reached the kernel.
  expect(operationsOf(lab, 'docker rm nosuchcontainer')).toEqual([]);
});
