/**
 * `thinlab --help`: every command in a few lines. Each command's own help (`thinlab CMD --help`)
 * is in its module under src/cli/commands/.
 */
import { ORACLE_RAMDISK_KB } from './ramdisk-presets.js';

export const USAGE = `usage: thinlab <command> [options]   (thinlab <command> --help: its options and an example)

running a lab
  sh [SCRIPT [FILE...]]     run a script (standard input when no SCRIPT or '-') on a fresh lab machine
                            shaped like the kernel oracle VM and record it as a new branch; FILEs are
                            placed at /files/<name> as the oracle does (with --no-record)
     --trace                show each command as '$ command' before its output
     --branch NAME          name the new branch (default: main, then run-2, run-3, ...)
     --continue             go on from the end of the head branch (or --branch) instead
     --no-record            do not touch the database
     --ramdisk-kb N         size of /dev/ram0 and /dev/ram1 (default ${ORACLE_RAMDISK_KB}; or a preset: oracle, docker-demo)
  demo                      Docker on a direct-lvm thin pool: set up, fill, fail, recover, roll back
                            (demo/docker-devicemapper.sh, 512 MiB RAM disks: --ramdisk-kb docker-demo)
  demo tour                 record the tour of a thin pool's life (scenarios/tour.sh)

time travel (on the head branch unless --branch NAME)
  why NAME [POS]            a Docker image or container: its thin devices, blocks, what it shares
                            with whom, and what removing it would give back (and why not more)
  log [--full]              the events of the branch, with outputs when --full
  at POS                    every device's table and status after POS events, and the lifecycle
  rollback POS [--name NEW] start a new branch from POS and make it the head (deletes nothing)
  branches                  list the branches; * marks the head
  checkout BRANCH           make BRANCH the head
  diff A B                  compare two moments: POS, BRANCH or BRANCH@POS
  whatif --at POS --inject LINE [--name N] [--json]  the branch again with LINE (a fault, crash, any
                            command) inserted after POS, on a new branch; prints the first
                            output that differs, the pool modes on both, and data that reads back
                            differently at the end
  replay                    rebuild the branch from its first event, checking each one
  export [POS] DEVICE FILE  a lab block device or lab file at POS (default: the end) to a host file,
                            byte for byte (e.g. for the real thin_check)

scenarios (docs/scenarios.md)
  run FILE...               run scenario files (.yaml, or .sh with .expected), record each as a
                            branch; exit 0 all pass, 1 a check failed, 2 a file is invalid
     --json                 a machine-readable result      --no-record   do not touch the database
  bisect --expect EXPR [POS]  the first position (up to POS) where EXPR stops holding, e.g.
                            'pool_mode pool=write', 'used_data_blocks pool<8', 'invariants'
  bisect --invariant NAME [POS]  the same for a named invariant: pool, writable, no-needs-check,
                            free-data-space, free-metadata-space, no-queued-io, no-leaked-blocks, committed

thin-provisioning-tools 0.9.0 on metadata images (docs/tools.md)
  thin_check | thin_dump | thin_restore | thin_repair | thin_ls | thin_delta | thin_rmap |
  thin_trim | thin_metadata_size  [their own options] FILE   the lab's tools on a host file, with
                            the real tools' options, output and exit status; outputs are written back

explaining a symptom
  explain SYMPTOM           a kernel log line, a dmsetup status line or a Docker error: the pool
                            state it means and the scenarios that reproduce it (--json; --scenarios DIR)

checking the lab against the real kernel (docs/conform.md)
  conform SCRIPT [FILE...]  run a script in the lab and in a real-kernel VM built here from Debian's
                            packages (qemu); the two transcripts side by side, the differing lines
                            marked; exit 0 agree, 1 differ (--stack debian12|debian13, --json)

property tests (docs/property-tests.md)
  prop [--runs N] [--seed S] [--minutes M] [--mutate NAME]   random command sequences against the
                            model and a reference model; a failure is shrunk and written as a
                            scenario file (thinlab prop --help for every option)

looking at a history (docs/ui.md)
  ui [--port N]             a local web page on 127.0.0.1: usage over time, the device tree and block
                            map at any position, what changed between two, branch here, whatif

json
  --json                    log, at, diff, branches, bisect, whatif, explain, why, run, prop and conform print
                            their result as one JSON document (docs/cli.md)

where the history lives
  --db PATH                 a SQLite file (default ./thinlab.db)
  --store URL               sqlite:PATH or kurrentdb://host:port?tls=false (or THINLAB_STORE)
`;
