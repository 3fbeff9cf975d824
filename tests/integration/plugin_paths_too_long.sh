#!/bin/sh
# plugin_paths_too_long.sh -- a `load' path (forkpool.conf(5)) whose real
# form is longer than PATH_MAX (a deep tree reached through symbolic
# links, all root's) cannot be checked, so forkpoold -n and a start refuse
# it naming the reason, never let it through unchecked.
# Optional arguments of lib.sh helpers default to this test's daemon:
# shellcheck disable=SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

fp_safe_dir
TP=$SAFE_TP

# 25 directories of 200 characters (about 5000 bytes), reached by two
# relative links so that each link and the path as written stay short.
python3 - "$T/deep" "$TP" <<'PY'
import os, shutil, sys
top, tp = sys.argv[1], sys.argv[2]
os.mkdir(top, 0o755)
fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
name = "d" * 200
rel1, rel2 = [], []
for i in range(25):
    os.mkdir(name, 0o755, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
    (rel1 if i < 15 else rel2).append(name)
dst = os.open("tp.so", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
with open(tp, "rb") as src:
    os.write(dst, src.read())
os.close(dst)
os.symlink("/".join(rel1), top + "/l1")
fd1 = os.open(top + "/l1", os.O_RDONLY | os.O_DIRECTORY)
os.symlink("/".join(rel2) + "/tp.so", "l2", dir_fd=fd1)
PY
fp_load_path_refused "a real path longer than PATH_MAX" "$T/deep/l1/l2" \
    ".*(path|real path).* too long"
