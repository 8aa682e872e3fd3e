# Docker on a direct-lvm thin pool: set it up the way the docs say, fill it, see it fail, get out.
# 1. The thin pool, with LVM, exactly as Docker's direct-lvm guide does it.
pvcreate /dev/ram0
vgcreate docker /dev/ram0
lvcreate --wipesignatures y -n thinpool docker -l 95%VG
lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG
lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta
cat > /etc/lvm/profile/docker-thinpool.profile <<'PROFILE'
activation {
  thin_pool_autoextend_threshold=80
  thin_pool_autoextend_percent=20
}
PROFILE
lvchange --metadataprofile docker-thinpool docker/thinpool
lvs -o+seg_monitor
# 2. Docker with the devicemapper driver on that pool.
cat > /etc/docker/daemon.json <<'JSON'
{
    "storage-driver": "devicemapper",
    "storage-opts": [
    "dm.thinpooldev=/dev/mapper/docker-thinpool",
    "dm.use_deferred_removal=true",
    "dm.use_deferred_deletion=true"
    ]
}
JSON
systemctl start docker
docker info
# 3. Images: each layer is a snapshot of the one below it; nginx and postgres would share Debian's.
docker pull alpine
docker pull ubuntu
docker pull nginx
docker system df
# 4. Containers that write: their writes land in the pool, and no min_free_space gate stops them.
for i in 1 2 3; do docker run -d --name app$i ubuntu sleep infinity >/dev/null; docker exec app$i dd if=/dev/zero of=/var/log/big bs=1M count=48 2>/dev/null; done
lvs
journalctl -u dm-event
# 5. The pool is nearly full: Docker refuses new containers (dm.min_free_space, 10%).
docker run -d --name app4 ubuntu; echo "exit status $?"
# 6. A running container writes on: the pool fills, queues its writes for 60 s, then fails them.
docker exec app1 dd if=/dev/zero of=/var/log/bigger bs=1M count=100; echo "exit status $?"
docker info 2>/dev/null | grep -E 'Data Space|Minimum'
dmsetup status docker-thinpool
lvs
dmesg | tail -n 3
# 7. The way out: a second disk for the volume group, the pool grown onto it, then space back from Docker.
vgextend docker /dev/ram1
lvextend -l +100%FREE docker/thinpool
dmsetup status docker-thinpool
journalctl -u dm-event | tail -n 3
docker rm -f app2 app3
docker system prune -a -f
docker info 2>/dev/null | grep -E 'Data Space|Minimum'
lvs
