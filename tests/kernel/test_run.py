"""`almos run`: real cross-compiled programs on the kernel, checked against qemu-mipsel where
the same binary can run there, and fault handling as a process would see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GLIBC_PROGRAMS, LIBC_INTERNAL

ROOT = Path(__file__).resolve().parents[2]
ALMOS = [sys.executable, "-m", "almos.cli"]
BUILD = ROOT / "userland" / "build"
PROGS = Path(__file__).parent / "progs"


def almos(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*ALMOS, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def almos_gcc(tmp_path: Path, name: str, opt: str = "-O2") -> Path:
    """progs/NAME.c built with libc_stubs/almos-gcc into tmp_path."""
    exe = tmp_path / name
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), opt, "-o", str(exe),
                    str(PROGS / f"{name}.c")], check=True, capture_output=True)
    return exe


def kill_line(stderr: str) -> str:
    """The one line saying why a program was killed; only its backtrace may follow it."""
    lines = stderr.splitlines()
    assert lines and "killed by" in lines[0], stderr
    assert all(line.startswith("almos:   #") for line in lines[1:]), stderr
    return lines[0]


def userland(name: str) -> str:
    """A userland program built with almos-gcc (conftest's session fixture ran make)."""
    p = BUILD / name
    if not p.exists():
        pytest.fail(f"{p} was not built (make -C userland)")
    return str(p)


@pytest.fixture(scope="module")
def raw_threads(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("raw") / "raw_threads"
    subprocess.run(["mipsel-linux-gnu-gcc", "-O2", "-fno-builtin", "-static", "-nostdlib",
                    "-fno-pic", "-mno-abicalls", "-e", "_start", "-I", str(LIBC_INTERNAL),
                    "-o", str(out), str(PROGS / "raw_threads.c")], check=True, capture_output=True)
    return str(out)


def test_raw_syscalls_threads_mutex_join(raw_threads: str) -> None:
    r = almos("run", "-t", "2x2x4", raw_threads, "a", "b")
    lines = r.stdout.splitlines()
    assert lines[:4] == [raw_threads, "a", "b", "Hi"]
    assert lines[4] == "1"            # write from a bad pointer gave -1 (EFAULT)
    assert lines[5] == "11"           # counter == 8000 under the mutex, join values sum to 280
    assert r.returncode == 7


def test_threads_spread_over_clusters(raw_threads: str, tmp_path: Path) -> None:
    stats = tmp_path / "s.json"
    r = almos("run", "-t", "2x2x4", "--stats", str(stats), raw_threads)
    assert r.returncode == 7
    import json
    data = json.loads(stats.read_text())
    clusters = {tuple(t["cluster"]) for t in data["threads"]}
    assert len(clusters) == 4         # the DQDT spread 9 threads over the 4 clusters
    assert data["summary"]["syscalls"] > 16000
    assert data["rpc"]["by_kind"]     # remote thread creation and page mapping were counted


@pytest.mark.parametrize("name", GLIBC_PROGRAMS)
def test_same_output_as_qemu(name: str, glibc_userland: Path) -> None:
    prog = userland(name)
    ours = almos("run", "-t", "1x1x1", prog)
    ref_prog = str(glibc_userland / name)
    ref = subprocess.run(["qemu-mipsel", ref_prog], capture_output=True, text=True,
                         timeout=60)
    # argv[0] names each build's own path: compare with that one word set aside
    assert ours.stdout.replace(prog, "PROG") == ref.stdout.replace(ref_prog, "PROG")
    assert ours.returncode == ref.returncode == 0


def test_argv_reaches_main() -> None:
    r = almos("run", "-t", "1x1x1", userland("hello"), "x", "y z")
    assert "argc 3" in r.stdout and "argv[2] = y z" in r.stdout and r.returncode == 0


@pytest.mark.parametrize("prog,status,words", [
    ("fault_null_thread", 139, ["SIGSEGV", "write of 0x00000000", "unmapped"]),
    ("fault_stack", 139, ["SIGSEGV", "unmapped"]),
    ("fault_illegal", 132, ["SIGILL", "reserved instruction"]),
    ("fault_write_code", 139, ["SIGSEGV", "protection"]),
])
def test_faults_kill_the_process(prog: str, status: int, words: list[str]) -> None:
    r = almos("run", "-t", "2x2x4", userland(prog))
    assert r.returncode == status
    line = [x for x in r.stderr.splitlines() if "killed by" in x]
    assert len(line) == 1 and "pc 0x" in line[0]
    for w in words:
        assert w in line[0]
    assert "Traceback" not in r.stderr


def test_instruction_limit(tmp_path: Path) -> None:
    src = tmp_path / "loop.c"
    src.write_text("void _start(void) { for (;;) ; }\n")
    exe = tmp_path / "loop"
    subprocess.run(["mipsel-linux-gnu-gcc", "-O2", "-static", "-nostdlib", "-fno-pic",
                    "-mno-abicalls", "-e", "_start", "-o", str(exe), str(src)], check=True,
                   capture_output=True)
    r = almos("run", "--max-instructions", "200000", str(exe))
    assert r.returncode == 137
    assert "instruction limit" in r.stderr


@pytest.mark.parametrize("content,message", [
    (b"garbage", "not an ELF file"),
    (b"\x7fELF\x02\x01\x01" + b"\0" * 60, "not a 32-bit ELF"),
])
def test_bad_elf_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "bad"
    f.write_bytes(content)
    r = almos("run", str(f))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and message in r.stderr


@pytest.mark.parametrize("opt", [["--topology", "banana"], ["--placement", "nowhere"],
                                 ["--l1", "3K:4:64"], ["--bogus"]])
def test_bad_options_one_line(opt: list[str]) -> None:
    r = almos("run", *opt, "/bin/true")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_threads64_all_sync_objects_on_4x4x4() -> None:
    """64 threads: mutex, spin, once, keys, join values, cond, barrier, semaphore, rwlock,
    detached threads; exact results, and the threads spread over the machine's cores."""
    r = almos("run", "-t", "4x4x4", userland("threads64"))
    assert r.returncode == 0, r.stderr
    assert "threads64: OK" in r.stdout
    checks = [x for x in r.stdout.splitlines() if x.endswith(" ok") or x.endswith(" FAILED")]
    assert len(checks) >= 15 and all(x.endswith(" ok") for x in checks)
    # threads that live at once (they meet at a barrier): the DQDT spreads them by load
    cores = {line.split("core ")[-1] for line in r.stdout.splitlines()
             if line.startswith("barrier thread ")}
    assert len(cores) >= 48, f"64 threads alive at once ran on only {len(cores)} cores"


def test_pinned_threads_run_where_pinned() -> None:
    r = almos("run", "-t", "2x2x4", userland("pinned"), "3", "7", "12", "15")
    assert r.returncode == 0, r.stderr
    for asked, cxy, lid in ((3, 0, 3), (7, 1, 3), (12, 0x11, 0), (15, 0x11, 3)):
        assert f"asked core {asked}, ran on cxy {cxy} lid {lid} core {asked} ok" in r.stdout


@pytest.mark.parametrize("threads", [1, 16])
@pytest.mark.parametrize("bench", ["fft", "convol", "transpose", "sort", "kmeans", "matmul"])
def test_benchmarks_correct_on_1_and_16_cores(bench: str, threads: int) -> None:
    r = almos("run", "-t", "4x4x1", userland(bench), "-p", str(threads))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK" in r.stdout.split() and "cycles:" in r.stdout


def test_out_of_memory_kills_the_guest(tmp_path: Path) -> None:
    """malloc reserves address space only (overcommit, as Linux): the touch that finds no
    page anywhere kills the process, one line, never the machine."""
    exe = almos_gcc(tmp_path, "oom", "-O2")
    r = almos("run", "-t", "1x1x1", "--memory", "16M", "--cache", "off", str(exe))
    assert r.returncode == 137 and r.stdout == "", r.stdout + r.stderr
    assert "killed by SIGKILL: out of memory" in kill_line(r.stderr), r.stderr


def test_runs_are_deterministic(tmp_path: Path) -> None:
    """Same program, same machine: same output, same cycles, same cache counters."""
    import json
    outs = []
    for i in range(2):
        stats = tmp_path / f"s{i}.json"
        r = almos("run", "-t", "2x2x4", "--stats", str(stats), userland("threads64"))
        assert r.returncode == 0
        d = json.loads(stats.read_text())
        outs.append((r.stdout, d["cores"], d["clusters"], d["traffic"]))
    assert outs[0] == outs[1]


def test_more_threads_than_cores_are_preempted() -> None:
    """8 compute threads with barriers on 2 cores: the timer tick shares the cores."""
    r = almos("run", "-t", "1x1x2", userland("fft"), "-p", "8", "-m", "12")
    assert r.returncode == 0 and "OK" in r.stdout.split(), r.stdout + r.stderr


def _word_address(elf_path: str, word: int) -> int:
    """Virtual address of the first occurrence of a 32-bit word in the ELF's code."""
    from almos.emulator.elf import parse_elf
    elf = parse_elf(Path(elf_path).read_bytes())
    for seg in elf.segments:
        data = elf.segment_bytes(seg)
        for off in range(0, len(data) - 3, 4):
            if int.from_bytes(data[off:off + 4], "little") == word:
                return seg.vaddr + off
    raise AssertionError("word not found")


def test_exception_pc_is_the_faulting_instruction(tmp_path: Path) -> None:
    """Unicorn reports a stale PC to interrupt hooks: the kernel must name the instruction."""
    prog = userland("fault_illegal")
    r = almos("run", prog)
    assert f"at pc {_word_address(prog, 0xFFFFFFFF):#010x}" in r.stderr, r.stderr
    exe = almos_gcc(tmp_path, "unaligned", "-O1")
    r = almos("run", str(exe))
    assert r.returncode == 138 and "SIGBUS: address error" in r.stderr, r.stderr
    dis = subprocess.run(["mipsel-linux-gnu-objdump", "-d", str(exe)], capture_output=True,
                         text=True, check=True).stdout
    pc = int(r.stderr.split("at pc ")[1].split()[0], 16)
    line = next(x for x in dis.splitlines() if x.strip().startswith(f"{pc:x}:"))
    assert "\tlw\t" in line and "0(" in line, line       # the load through the pointer


def test_munmap_like_linux(tmp_path: Path) -> None:
    src = PROGS / "munmap.c"
    ours, ref = tmp_path / "ours", tmp_path / "ref"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(ours), str(src)],
                   check=True, capture_output=True)
    subprocess.run(["mipsel-linux-gnu-gcc", "-O2", "-static", "-o", str(ref), str(src),
                    "-lpthread"], check=True, capture_output=True)
    r = almos("run", "--cache", "off", str(ours))
    q = subprocess.run(["qemu-mipsel", str(ref)], capture_output=True, text=True, timeout=60)
    assert r.returncode == q.returncode == 0, r.stderr
    assert r.stdout == q.stdout
    assert "pages 0, 2, 3: A A A" in r.stdout


def test_stale_translations_are_shot_down(tmp_path: Path) -> None:
    """A thread blocked on another core keeps its translations: after munmap they must go,
    or it would read (or write) a page since given to someone else."""
    exe = almos_gcc(tmp_path, "tlb_shootdown", "-O2")
    r = almos("run", "--cache", "off", str(exe))
    assert r.returncode == 139, r.stdout + r.stderr
    assert "read of 0x40000000, unmapped" in r.stderr
    assert "after munmap" not in r.stdout


@pytest.mark.parametrize("where", ["/nonexistent/dir/stats.json", "/tmp"])
def test_unwritable_stats_file_is_one_line_before_running(where: str) -> None:
    r = almos("run", "--stats", where, userland("hello"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "cannot write statistics" in r.stderr and r.stdout == ""


def test_kill_checks_signals_and_rwlock_reads_recursively(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "kill_rw", "-O2")
    r = almos("run", "--cache", "off", str(exe))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "kill -1: -1 EINVAL, 1000: -1 EINVAL, SIGCHLD: 0, alive: 0" in r.stdout
    assert "killed by 9" in r.stdout
    assert "recursive rdlock with a writer waiting: 0" in r.stdout


def test_wait_semantics(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "wait_threads", "-O2")
    r = almos("run", "--cache", "off", str(exe))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "waitpid(0) -> child errno 0" in out
    assert "WNOHANG no children -> -1 errno 10" in out
    assert out.count("thread waitpid -> kid st 0x400") == 1
    assert out.count("thread waitpid -> other") == 1          # the loser: ECHILD
    assert "exit(265) -> 9" in out


def test_thread_ids_wrap_without_collisions(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "tid_wrap", "-O2")
    r = almos("run", "--cache", "off", "-t", "2x2x1", str(exe), "66000", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "join long-lived: e=0 r=0x1234" in r.stdout


def test_dead_threads_and_processes_leave_the_kernel_tables() -> None:
    """A long session must not grow: dead threads keep only a --stats line."""
    from almos.emulator.elf import parse_elf
    from almos.emulator.topology import load_topology
    from almos.session import Options, build
    machine, kernel = build(Options(load_topology("1x1x2"), cache="off"))
    elf = parse_elf(Path(userland("threads64")).read_bytes())
    p = kernel.spawn(elf, ["threads64"], [])
    machine.run()
    assert p.exit_status == 0
    assert kernel.threads == {} and kernel.processes == {}
    assert len(kernel.thread_log) > 64 and all(t.ctx is None for t in p.threads.values())
    assert kernel.process_log[0]["pid"] == p.pid


def test_sigpipe_kills_unless_ignored(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "sigpipe", "-O2")
    r = almos("run", "--cache", "off", str(exe))
    assert r.returncode == 141 and r.stdout == "", r.stdout + r.stderr
    r = almos("run", "--cache", "off", str(exe), "ignore")
    assert r.returncode == 0 and "write: -1 EPIPE" in r.stdout, r.stdout + r.stderr


def test_prot_none_mapping_faults(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "prot_none", "-O2")
    r = almos("run", "--cache", "off", str(exe))
    assert r.returncode == 139 and "read of 0x40000000" in r.stderr, r.stderr


def test_out_of_memory_after_every_cluster_is_used(tmp_path: Path) -> None:
    """Memory runs out: malloc never fails (overcommit), the process is killed at the first
    touch no cluster can back, after using the pages of every cluster (page tables come from
    any cluster, so the kernel itself does not run out first)."""
    src = tmp_path / "memhog.c"
    src.write_text("""
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
    for (int i = 0; i < 40; i++) {
        char *p = malloc(1 << 20);
        if (!p) return 2;
        memset(p, 1, 1 << 20);
        char c = '0' + i % 10;
        write(1, &c, 1);
    }
    return 1;
}
""")
    exe = tmp_path / "memhog"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(exe), str(src)],
                   check=True, capture_output=True)
    # runs are deterministic, so is where memory runs out: 4 x 8 MiB on 2x2x1 at the 32nd
    # MiB, 8 MiB on 1x1x1 at the 8th (the kernel's own pages take the rest)
    for topology, touched in (("2x2x1", 31), ("1x1x1", 7)):
        r = almos("run", "--cache", "off", "-t", topology, "-m", "8M", str(exe))
        assert r.returncode == 137, r.stderr
        assert len(r.stdout) == touched, r.stdout
        assert "killed by SIGKILL: out of memory" in kill_line(r.stderr), r.stderr


@pytest.mark.parametrize("opts", [["--l1", "8K:2:32"], ["--l2", "256K:16:128"],
                                  ["--stats", ""]])
def test_bad_cache_geometry_and_stats_path_are_one_line(opts: list[str]) -> None:
    r = almos("run", *opts, userland("hello"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_the_tick_preempts_a_spinning_thread_on_one_core(tmp_path: Path) -> None:
    """Two threads on the only core, each spinning on a word the other writes: whichever
    runs first spins until the timer tick hands the core to the other. (No other core could
    write the word, so the emulator does not park the spinner: only preemption ends it.)"""
    exe = almos_gcc(tmp_path, "spin_preempt")
    r = almos("run", "-t", "1x1x1", "--cache", "off", "--max-instructions", "50000000",
              str(exe))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "both spins ended\n"


CLOCK_HZ = 100_000_000          # the cores' cycle counter (libc_stubs/include/almos_clock.h)
SLEEP_SLACK = 2 * 100_000       # cycles: a sleeper wakes at a scheduler tick (1 ms), plus one


def test_sleep_usleep_nanosleep_take_the_time_asked(tmp_path: Path) -> None:
    """sleep(1), usleep(20000), nanosleep(0.25 s) measured with get_cycles and clock_gettime:
    never shorter than asked, and late by at most a couple of scheduler ticks."""
    exe = almos_gcc(tmp_path, "sleep_time")
    r = almos("run", "-t", "1x1x1", "--cache", "off", str(exe))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == f"hz {CLOCK_HZ}"
    seen = {}
    for line in lines[:-1]:
        name, _, asked, _, cycles, _, clock = line.split()
        seen[name] = (int(asked), int(cycles), int(clock))
    assert set(seen) == {"sleep", "usleep", "nanosleep"}, r.stdout
    for name, (asked_ns, cycles, clock_ns) in seen.items():
        want = asked_ns * CLOCK_HZ // 1_000_000_000
        assert want <= cycles <= want + SLEEP_SLACK, (name, want, cycles)
        slack_ns = SLEEP_SLACK * 1_000_000_000 // CLOCK_HZ
        assert asked_ns <= clock_ns <= asked_ns + slack_ns, (name, asked_ns, clock_ns)


def test_contended_library_locks_lose_no_update(tmp_path: Path) -> None:
    """16 threads over 8 cores add under pthread_spin_lock and pthread_mutex_lock: exact."""
    exe = almos_gcc(tmp_path, "llsc_counter")
    r = almos("run", "-t", "2x2x2", "--cache", "off", str(exe), "16")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "spin 48000 mutex 48000 expected 48000\n"


# the library's functions that must be atomic read-modify-writes: ll ... sc loops
ATOMIC_FUNCTIONS = ("__lock", "__unlock", "pthread_spin_lock", "pthread_spin_trylock",
                    "pthread_mutex_lock", "pthread_mutex_trylock", "pthread_mutex_unlock",
                    "pthread_once")


def test_library_atomics_are_built_with_ll_sc() -> None:
    """libc.a (made by conftest's session fixture): its locks compare-and-swap with ll/sc
    (a plain load and store passes the contended test above on an emulator that switches
    cores only between basic blocks)."""
    dis = subprocess.run(["mipsel-linux-gnu-objdump", "-d",
                          str(ROOT / "libc_stubs" / "build" / "libc.a")],
                         capture_output=True, text=True, check=True).stdout
    bodies: dict[str, list[str]] = {}
    name = ""
    for line in dis.splitlines():
        if line.endswith(">:"):
            name = line.split("<")[1][:-2]
            bodies[name] = []
        elif name and "\t" in line:
            bodies[name].append(line.split("\t")[2] if line.count("\t") >= 2 else "")
    for fn in ATOMIC_FUNCTIONS:
        ops = bodies.get(fn)
        assert ops is not None, f"{fn} not in libc.a"
        assert "ll" in ops and "sc" in ops, f"{fn} has no ll/sc pair: {ops}"
