#!/usr/bin/env bash
# Makes the empty ext4 templates that formatDisk (src/engine/guest/format.ts) copies onto a
# new VM disk, one per supported disk size (1..64 GiB), into assets/fs-templates/.
#
# Why templates: VM creation must work on Windows/macOS/Linux without e2fsprogs, and the
# ext2fs package has no mkfs. An empty ext4 of 64 GiB has well under 1 MiB of non-zero
# blocks, so shipping them compressed costs little.
#
# Reproducible: our own mke2fs.conf (the host's is ignored), fixed UUID, hash seed and
# time (E2FSPROGS_FAKE_TIME), no discard, lazy inode tables; only non-zero 4 KiB blocks
# are stored. Needs mke2fs (e2fsprogs >= 1.46) and python3 (for SEEK_DATA and zlib) at
# development time only.
#
# Template file (zlib-compressed): "CLABFST1", u32 version=1, u32 block size, u64 capacity,
# u32 run count, u32 unique block count, runs of (u64 first block, u32 block count), then
# for every block of the runs a u32 index into the unique blocks, then the unique blocks.
# Deduplicating matters: the backup group descriptors are identical copies that zlib's
# 32 KiB window cannot see. All integers little-endian.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/fs-templates
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/mke2fs.conf" <<'CONF'
[defaults]
	base_features = sparse_super,large_file,filetype,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	lazy_itable_init = true
[fs_types]
	ext4 = {
		features = extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
CONF

first=${1:-1}
last=${2:-64}
for size in $(seq "$first" "$last"); do
  img="$work/disk.img"
  rm -f "$img"
  truncate -s "${size}G" "$img"
  # No journal: libext2fs never writes through the journal, and the lab store already makes
  # every guest write atomic, so a journal would only cost space. No resize_inode: lab disks
  # never grow. -m 0: the whole disk belongs to the guest's user.
  E2FSPROGS_FAKE_TIME=1767225600 MKE2FS_CONFIG="$work/mke2fs.conf" \
    mke2fs -q -F -t ext4 -m 0 \
      -U 6c61622d-6775-6573-742d-6578743466ff \
      -E hash_seed=6c61622d-6775-6573-742d-686173687365,lazy_itable_init=1,nodiscard,root_owner=0:0 \
      "$img"
  name=$(printf 'ext4-%02dg.tpl' "$size")
  python3 - "$img" "$out/$name" <<'PY'
import os, struct, sys, zlib
src, dst = sys.argv[1], sys.argv[2]
BS = 4096
fd = os.open(src, os.O_RDONLY)
size = os.fstat(fd).st_size
blocks = []  # (index, bytes) of non-zero blocks
pos = 0
zero = bytes(BS)
while pos < size:
    try:
        data_at = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    hole_at = os.lseek(fd, data_at, os.SEEK_HOLE)
    at = data_at - data_at % BS
    while at < hole_at:
        os.lseek(fd, at, os.SEEK_SET)
        chunk = os.read(fd, min(1 << 20, hole_at - at + (-(hole_at - at)) % BS))
        for i in range(0, len(chunk), BS):
            block = chunk[i:i + BS]
            if block != zero[:len(block)]:
                blocks.append(((at + i) // BS, block.ljust(BS, b'\0')))
        at += len(chunk)
        if not chunk:
            break
    pos = hole_at
os.close(fd)
runs = []
for index, _ in blocks:
    if runs and runs[-1][0] + runs[-1][1] == index:
        runs[-1][1] += 1
    else:
        runs.append([index, 1])
unique = {}
refs = []
for _, block in blocks:
    refs.append(unique.setdefault(block, len(unique)))
body = b'CLABFST1' + struct.pack('<IIQII', 1, BS, size, len(runs), len(unique))
body += b''.join(struct.pack('<QI', first, count) for first, count in runs)
body += struct.pack(f'<{len(refs)}I', *refs)
body += b''.join(unique.keys())
with open(dst, 'wb') as f:
    f.write(zlib.compress(body, 9))
print(f'{dst}: {len(blocks)} non-zero blocks ({len(unique)} unique) in {len(runs)} runs, {len(body)} bytes -> {os.path.getsize(dst)} compressed')
PY
done
