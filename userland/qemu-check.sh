#!/usr/bin/env bash
# qemu-check.sh: runs every userland program, built with glibc (make HOST=glibc),
# under qemu-mipsel and checks its outcome: benchmarks and tests print OK and exit
# 0, fault programs die of the expected signal, the shell runs a script.
#
#   ./qemu-check.sh [BUILD_DIR]        (default: build-glibc next to this script)
#
# Directory tests run in a fresh tmpfs directory: qemu-mipsel cannot list large
# ext4 directories (readdir fails with EOVERFLOW for a 32-bit guest).
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:-$here/build-glibc}" && pwd)
qemu=${QEMU:-qemu-mipsel}
work=$(mktemp -d "${TMPDIR_QEMU:-/dev/shm}/userland-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME STATUS ARGS...: runs the program, wants exit STATUS (128+N: signal N).
expect() {
    local name=$1 want=$2; shift 2
    local start end out status
    start=$(date +%s.%N)
    out=$(cd "$work" && timeout 120 "$qemu" "$bin/$name" "$@" 2>&1)
    status=$?
    end=$(date +%s.%N)
    local secs; secs=$(awk "BEGIN { print $end - $start }")
    if [ "$status" = "$want" ] && { [ "$want" != 0 ] || echo "$out" | grep -q '^OK$\|: OK$'; }; then
        printf 'pass  %-40s status %3s  %6.2fs\n' "$name $*" "$status" "$secs"
    else
        printf 'FAIL  %-40s status %3s (want %s)\n%s\n' "$name $*" "$status" "$want" "$out"
        failures=$((failures + 1))
    fi
}

SIGILL=132 SIGSEGV=139

for p in 1 4; do
    expect fft 0 -p $p
    expect fft 0 -p $p -m 6
    expect convol 0 -p $p
    expect transpose 0 -p $p
    expect sort 0 -p $p
    expect kmeans 0 -p $p
    expect matmul 0 -p $p
    expect matmul 0 -p $p -d
done 2>/dev/null
expect fft 0 -p 4 -m 10
expect fft 0 -p 3 -m 16
expect sort 0 -p 7 -n 100000
expect hello 0 a b
expect threads64 0
expect pinned 0 0 1
expect efault 0
expect filetest 0 "$work"
expect mathprint 0
for placement in local interleave remote; do
    expect sweep 0 -p 4 --placement $placement
done
expect fault_null_thread $SIGSEGV
expect fault_stack $SIGSEGV
expect fault_illegal $SIGILL
expect fault_write_code $SIGSEGV

# The shell: a script with built-ins, redirections, a pipe and $?.
cat > "$work/script" <<'SCRIPT'
mkdir d
echo one > d/f
echo two >> d/f
cp d/f d/g
cat < d/g | cat
ls -l d
nosuch
echo status $?
rm d/f d/g; rmdir d
exit 3
SCRIPT
want=$'one\ntwo\n-         8 f\n-         8 g\nstatus 127'
got=$(cd "$work" && "$qemu" "$bin/sh" script 2>/dev/null)
status=$?
if [ "$status" = 3 ] && [ "$got" = "$want" ]; then
    echo "pass  sh script"
else
    printf 'FAIL  sh script: status %s, output:\n%s\n' "$status" "$got"
    failures=$((failures + 1))
fi

echo "$failures failure(s)"
[ "$failures" = 0 ]
