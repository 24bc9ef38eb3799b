#!/bin/sh
# Runs a command with a small tmpfs mounted at DIR (in its own mount namespace when started under `unshare`), so a
# test can fill the disk under a real server and free it again:
#   tmpfs-wrapper.sh SIZE_MB DIR COMMAND...
# SIGUSR2 fills the tmpfs with a ballast file; SIGUSR1 removes it; SIGTERM stops the command.
size=$1
dir=$2
shift 2
mkdir -p "$dir"
mount -t tmpfs -o "size=${size}m" tmpfs "$dir" || exit 97
trap 'rm -f "$dir/ballast"' USR1
trap 'dd if=/dev/zero of="$dir/ballast" bs=4k 2>/dev/null; true' USR2
"$@" &
child=$!
trap 'kill -TERM $child' TERM INT
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
