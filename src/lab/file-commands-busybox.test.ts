/**
 * mkdir, rmdir, touch, mv, cp, sha*sum, cmp, hexdump and xxd (and the writers' open errors) against the host's busybox 1.35.0
 * (Debian 12's, the VM's build), case by case: each case runs in a directory of its own, made
 * under a temporary directory on the host and under /tmp/t in the lab, with the same inputs; the
 * host's output has its directory's name put back to /tmp/t. The VM's own semantics (its mounts,
 * its devices) are fixtures/kernel/211.
 */
import { describe, expect, it } from 'vitest';
import { busyboxAndLabInDirectories, hasHostBusybox } from './busybox-test-support.js';

/** The inputs every case finds in its directory $D. */
const SETUP = [
  "printf 'Hello, world!\\n\\001\\377\\200abcdefghijklmnopqrstuvwxyz0123' > $D/in1",
  "printf 'Hellx, world!\\nX\\377\\200abcdefghijklmnopqrstuvwxyz0123' > $D/in3",
  "printf 'Hello, wor' > $D/in4",
  ': > $D/empty',
  'head -c 100 /dev/zero > $D/z; printf x >> $D/z',
  'mkdir $D/d; printf "hello\\n" > $D/d/f',
].join('; ');

const FILE_CASES = [
  'mkdir $D/a; echo rc=$?; mkdir $D/a; echo rc=$?; test -d $D/a && echo dir',
  'mkdir $D/x/y; echo rc=$?; mkdir -p $D/x/y; echo rc=$?; mkdir -p $D/x $D/x/y/z; echo rc=$?',
  'mkdir -pv $D/p/q/r; echo rc=$?; mkdir -v $D/v; echo rc=$?',
  'mkdir $D/in1; echo rc=$?; mkdir -p $D/in1; echo rc=$?; mkdir -p $D/in1/x; echo rc=$?; mkdir $D/in1/x; echo rc=$?',
  'mkdir -p $D/r//s/; echo rc=$?; ls $D/r | cat',
  'mkdir; echo rc=$?; mkdir -z $D/q; echo rc=$?',
  'mkdir -p $D/x/y; rmdir $D/x; echo rc=$?; rmdir $D/x/y $D/x; echo rc=$?; rmdir $D/x; echo rc=$?',
  'rmdir $D/in1; echo rc=$?; rmdir; echo rc=$?; rmdir $D/d; echo rc=$?',
  'mkdir -p $D/a/b/c; rmdir -p $D/a/b/c; echo rc=$?; test -d $D/a || echo gone',
  'touch $D/t; echo rc=$?; ls $D | cat; touch $D/zz/t; echo rc=$?; touch; echo rc=$?',
  'touch -c $D/nothere; echo rc=$?; ls $D | cat; touch $D/in1 $D/d; echo rc=$?; cat $D/in1 | wc -c',
  'cp; echo rc=$?; cp $D/in1; echo rc=$?',
  'cp $D/in1 $D/g; echo rc=$?; cmp $D/in1 $D/g && echo same',
  'cp $D/nope $D/g; echo rc=$?; cp $D/in1 $D/nodir/g; echo rc=$?',
  'cp $D/d/f $D; echo rc=$?; cat $D/f; cp $D/in1 $D/in3 $D/nodir; echo rc=$?',
  'cp $D/in1 $D/in3 $D/in4; echo rc=$?',
  'cp $D/d $D/e; echo rc=$?; cp -r $D/d $D/e; echo rc=$?; cat $D/e/f; cp -r $D/d $D/e; echo rc=$?; ls $D/e | cat',
  'cp $D/in1 $D/in1; echo rc=$?; cp -z $D/in1 $D/g; echo rc=$?',
  'cp $D/nope1 $D/in1 $D/d; echo rc=$?; ls $D/d | cat; cp $D/in1 $D/d/; echo rc=$?',
  'cp $D/in1 $D/zzz/; echo rc=$?; cp -r $D/d $D/d/sub; echo rc=$?',
  'cp -a $D/d $D/e; echo rc=$?; cp -p $D/in1 $D/e; echo rc=$?; cp -f $D/in3 $D/e/in1; echo rc=$?; ls $D/e | cat; cat $D/e/in1 | wc -c',
  'mv; echo rc=$?; mv $D/in1; echo rc=$?; mv $D/nope $D/g; echo rc=$?',
  'mv $D/in1 $D/g; echo rc=$?; cat $D/g | wc -c; test -e $D/in1 || echo gone',
  'mv $D/in1 $D/d; echo rc=$?; ls $D/d | cat; mv $D/d/in1 $D/nodir/x; echo rc=$?; mv $D/d/in1 $D/d/in1; echo rc=$?',
  'mv $D/d $D/d/sub; echo rc=$?; mkdir $D/e; mv $D/d $D/e; echo rc=$?; ls $D/e $D/e/d | cat',
  'mkdir $D/ne; mv $D/ne $D/in1; echo rc=$?; mv $D/in3 $D/d; mv $D/in4 $D/d/in3; echo rc=$?; cat $D/d/in3',
  'mkdir -p $D/full/x; mkdir $D/t; mv $D/t $D/full; echo rc=$?; ls $D/full | cat; mv -z $D/in1 $D/y; echo rc=$?',
  // Writers opening a directory or a path in a missing one: EISDIR and ENOENT in each one's words,
  // and nothing made beside the directory (the lab once made a file at a directory's path).
  'truncate -s 1 $D/d; echo rc=$?; dd if=$D/in1 of=$D/d; echo rc=$?; dd if=$D/in1 of=$D/nodir/x; echo rc=$?; ls $D | cat',
  'echo x | tee $D/d $D/nodir/x; echo rc=$?; echo x | uniq - $D/d; echo rc=$?; ls -a $D/d | cat',
];

const DIGEST_CASES = [
  'sha256sum $D/in1 $D/in3 > $D/sums; cat $D/sums; sha256sum -c $D/sums; echo rc=$?',
  'sha256sum $D/in1 $D/in3 > $D/sums; cp $D/in4 $D/in3; sha256sum -c $D/sums; echo rc=$?; sha256sum -cs $D/sums; echo rc=$?',
  'sha256sum $D/in1 $D/in3 > $D/sums; rm $D/in3; sha256sum -c $D/sums; echo rc=$?',
  "sha1sum $D/in1 > $D/sums; printf 'garbage line\\n' >> $D/sums; sha1sum -c $D/sums; echo rc=$?; sha1sum -cw $D/sums; echo rc=$?",
  "printf 'garbage\\n\\ngarbage\\0\\0x' > $D/bad; sha512sum -c $D/bad; echo rc=$?; sha512sum -c $D/empty; echo rc=$?",
  'sha256sum -c $D/nothere; echo rc=$?; sha256sum $D/nothere $D/in1; echo rc=$?; sha256sum -s $D/in1; echo rc=$?',
  'echo hi | sha256sum; echo hi | sha1sum -; sha512sum $D/d; echo rc=$?; sha256sum -c < /dev/null; echo rc=$?',
  'sha256sum $D/in1 | sed "s/  / */" | sha256sum -c; echo rc=$?; sha256sum $D/in1 | sed "s/  / /" | sha256sum -c; echo rc=$?',
  'sha256sum $D/in1 | sed s/[a-f]/A/ | sha256sum -c; echo rc=$?; md5sum $D/in1 > $D/m; md5sum -c $D/m; echo rc=$?',
];

const CMP_CASES = [
  'in1 $D/in1',
  'in1 $D/in3',
  '-l $D/in1 $D/in3',
  '-s $D/in1 $D/in3',
  '$D/in1 $D/in4',
  '$D/in4 $D/in1',
  '-l $D/in1 $D/in4',
  '-s $D/in1 $D/in4',
  '-ls $D/in1 $D/in3',
  '$D/in1 $D/nothere',
  '$D/nothere $D/in1',
  '-s $D/nothere $D/in1',
  '',
  '$D/in1 $D/in3 1 1',
  '$D/in1 $D/in3 2',
  '$D/in1 $D/in3 x',
  '-n 3 $D/in1 $D/in3',
  '-n 5 $D/in1 $D/in3',
  '$D/in1 $D/in3 0x2 0x2',
  '$D/empty $D/in1',
  '$D/in1 $D/empty',
  '$D/empty $D/empty',
  '-l $D/in3 $D/in1 5',
  '$D/in1 $D/in1 $D/in1 $D/in1 $D/in1',
  '-z $D/in1 $D/in1',
].map((args) => `cmp ${args.replace(/^in1 /, '$D/in1 ')}; echo rc=$?`);

const HEXDUMP_OPTIONS = [
  '-C',
  '-C -n 5',
  '-C -s 3 -n 20',
  '-C -v',
  '-Cv -n40',
  '-C -s 200',
  '-C -n 0',
  '',
  '-v',
  '-C -s 0x10',
  '-C -s 010',
  '-C -s 1k',
  '-C -n 010',
  '-C -n 1k',
  '-C -s -1',
  '-C -n abc',
  '-C -n 0x10',
  '-z',
];

const XXD_OPTIONS = [
  '',
  '-l 20',
  '-s 3 -l 20',
  '-c 8',
  '-c 5 -g 3',
  '-g 1',
  '-g 0',
  '-g 16',
  '-g 3',
  '-p',
  '-p -l 10',
  '-p -c 8',
  '-p -c 0',
  '-s 0x10 -l 4',
  '-s 010',
  '-c 0',
  '-l 0',
  '-o 5',
  '-l 3 -o 0x10',
  '-s 100',
  '-l abc',
  '-s 1k',
  '-s -5',
  '-n 3',
  '-z',
];

const DUMP_CASES = [
  ...HEXDUMP_OPTIONS.flatMap((o) => ['in1', 'z', 'empty'].map((f) => `hexdump ${o} $D/${f}; echo rc=$?`)),
  'hexdump -C $D/nothere; echo rc=$?; hexdump -C $D/in1 $D/nothere; echo rc=$?; hexdump -C $D/nothere $D/in1; echo rc=$?',
  'hexdump -C -s 40 $D/in1 $D/in1; hexdump -n 3 -C $D/in1 $D/in1; echo hi | hexdump -C; echo hi | hexdump -C -',
  ...XXD_OPTIONS.flatMap((o) => ['in1', 'z', 'empty'].map((f) => `xxd ${o} $D/${f}; echo rc=$?`)),
  'xxd $D/nothere; echo rc=$?; xxd $D/in1 $D/in1; echo rc=$?; echo hi | xxd; echo hi | xxd -',
];

function agree(cases: readonly string[]): void {
  const { busybox, lab } = busyboxAndLabInDirectories(cases, SETUP);
  expect(lab.length).toBe(busybox.length);
  for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
}

describe.runIf(hasHostBusybox)('the file commands agree with the host busybox 1.35 case by case', () => {
  it('mkdir, rmdir, touch, cp and mv', () => agree(FILE_CASES));
  it('sha1sum, sha256sum, sha512sum and md5sum, with -c', () => agree(DIGEST_CASES));
  it('cmp', () => agree(CMP_CASES));
  it('hexdump and xxd', () => agree(DUMP_CASES));
});
