# A thin pool's life in eleven steps, on the lab's copy of the oracle machine: two 64 MiB RAM
# disks, /dev/ram0 for metadata and /dev/ram1 for data, and pattern files /patterns/A..H.
#
# 1. A pool of 8 data blocks of 64 KiB (1024 sectors), low water mark 2, default features.
dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 2"; dmsetup mknodes
dmsetup status pool
# 2. A thin device (id 0) of 128 MiB: nothing is allocated until it is written.
dmsetup message pool 0 "create_thin 0"
dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes
dmsetup status thin
# 3. Write four blocks of A: four data blocks are provisioned.
dd if=/patterns/A of=/dev/mapper/thin bs=64k count=4 oflag=direct
dmsetup status pool; dmsetup status thin
# 4. Snapshot it (suspend the origin first, as the kernel's documentation asks).
dmsetup suspend thin; dmsetup message pool 0 "create_snap 1 0"; dmsetup resume thin
dmsetup create snap --table "0 262144 thin /dev/mapper/pool 1"; dmsetup mknodes
# 5. Overwrite block 1 of the origin: sharing is broken, one more block is used.
dd if=/patterns/B of=/dev/mapper/thin bs=64k count=1 seek=1 oflag=direct 2>/dev/null
dmsetup status pool
dd if=/dev/mapper/thin bs=64k skip=1 count=1 2>/dev/null | od -A d -c | head -n 1
dd if=/dev/mapper/snap bs=64k skip=1 count=1 2>/dev/null | od -A d -c | head -n 1
# 6. Fill the pool. The low water mark fires, then the pool runs out of data space; in the
#    default queue mode the last write waits (60 s of simulated time) and then fails.
dd if=/patterns/C of=/dev/mapper/thin bs=64k count=4 seek=10 oflag=direct
dmsetup status pool
# 7. Writes to blocks the origin owns alone still work (block 1 was copied in step 5); block 0 is
#    still shared with the snapshot, so writing it needs a new block and fails.
dd if=/patterns/D of=/dev/mapper/thin bs=64k count=1 seek=1 oflag=direct 2>/dev/null; echo "owned block rc=$?"
dd if=/patterns/D of=/dev/mapper/thin bs=64k count=1 seek=0 oflag=direct 2>/dev/null; echo "shared block rc=$?"
# 8. Get out: grow the pool to 16 blocks (reload, suspend, resume).
dmsetup reload pool --table "0 2048 thin-pool /dev/ram0 /dev/ram1 128 2"
dmsetup suspend pool; dmsetup resume pool
dmsetup status pool
# 9. Delete the snapshot: the blocks only it used go back to the pool.
dmsetup remove snap; dmsetup message pool 0 "delete 1"
dmsetup status pool
# 10. Lose power: the lab's `crash` throws away everything since the last commit, as a power cut
#     would. The fsync'd write commits (and restarts the kernel's 1 s commit clock); the two
#     writes after it, less than a second later, are not committed yet.
dd if=/patterns/E of=/dev/mapper/thin bs=64k count=1 seek=19 oflag=direct conv=fsync 2>/dev/null
dd if=/patterns/E of=/dev/mapper/thin bs=64k count=2 seek=20 oflag=direct 2>/dev/null
dmsetup status thin
crash
dmsetup create pool --table "0 2048 thin-pool /dev/ram0 /dev/ram1 128 2"; dmsetup mknodes
dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes
dmsetup status thin
# 11. What the kernel logged along the way.
dmesg | grep thin | sed 's/^\[[^]]*\] //'
