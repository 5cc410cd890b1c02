"""The GDB Remote Serial Protocol's wire format: packets, acks, escapes, hex fields, signals.

A packet is `$data#cs` (cs: two hex digits, the sum of data's bytes mod 256); the receiver
acks it with '+' or asks for it again with '-'. Inside data, '#', '$', '}' and '*' are sent
as '}' then the byte xor 0x20. A 0x03 byte outside a packet is an interrupt (Ctrl-C).
Numbers are hex digits and nothing else (no sign, no 0x, no blanks): anything else in a
field makes the packet malformed (`Malformed`, which the stub answers E01).

Signals: the protocol carries GDB's own numbering (gdb's include/gdb/signals.def), which
matches Linux's only for 1-15. The guest's numbering is Linux MIPS (o32), as the o32 system
call ABI and the exit statuses (128 + signal) use it; `gdb_signal` and `mips_signal` convert.

Used by the GDB stub (emulator/gdbstub.py); knows bytes, not registers or threads.
"""

from __future__ import annotations

from collections.abc import Callable

PACKET_SIZE = 0x4000              # what we tell gdb (bytes of packet data we accept)
INTERRUPT = 0x03
ESCAPE = 0x7D
ESCAPE_XOR = 0x20
START, END, ACK, NAK = ord("$"), ord("#"), b"+", b"-"
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
ALL_THREADS, ANY_THREAD = -1, 0   # thread-id "-1" and "0"

# GDB's signal numbers that the stub names itself
GDB_SIGINT, GDB_SIGTRAP = 2, 5
GDB_SIGNAL_UNKNOWN = 143
# Linux MIPS signal -> GDB signal, where they differ: 1-15 are the same; 16-31 are
# USR1 USR2 CHLD PWR WINCH URG IO STOP TSTP CONT TTIN TTOU VTALRM PROF XCPU XFSZ on MIPS;
# real-time 32..127 are GDB's REALTIME_32 (77), REALTIME_33-63 (45-75), REALTIME_64-127 (78-141)
MAX_MIPS_SIGNAL = 127             # what a Linux wait status can hold
_GDB_OF_MIPS = {16: 30, 17: 31, 18: 20, 19: 32, 20: 28, 21: 16, 22: 23, 23: 17, 24: 18,
                25: 19, 26: 21, 27: 22, 28: 26, 29: 27, 30: 24, 31: 25, 32: 77, 64: 78}
_GDB_OF_MIPS.update({n: n for n in range(1, 16)})
_GDB_OF_MIPS.update({n: n + 12 for n in range(33, 64)})
_GDB_OF_MIPS.update({n: n + 14 for n in range(65, MAX_MIPS_SIGNAL + 1)})
_MIPS_OF_GDB = {g: m for m, g in _GDB_OF_MIPS.items()}


class Malformed(ValueError):
    """A packet that breaks the protocol's syntax (answered E01)."""


def gdb_signal(mips: int) -> int:
    """GDB's number for a Linux MIPS signal (GDB_SIGNAL_UNKNOWN if it has none)."""
    return _GDB_OF_MIPS.get(mips, GDB_SIGNAL_UNKNOWN)


def mips_signal(gdb: int) -> int | None:
    """The Linux MIPS signal for GDB's signal number; None if the guest has no such signal."""
    return _MIPS_OF_GDB.get(gdb)


# ---- fields ----------------------------------------------------------------------------------
def parse_hex(text: str) -> int:
    """A number field: one or more hex digits."""
    if not text or not HEX_DIGITS.issuperset(text):
        raise Malformed(f"not a hex number: {text[:20]!r}")
    return int(text, 16)


def parse_hex_bytes(text: str) -> bytes:
    """A byte string field: two hex digits per byte."""
    if len(text) % 2 or not HEX_DIGITS.issuperset(text):
        raise Malformed(f"not hex bytes: {text[:20]!r}")
    return bytes.fromhex(text)


def parse_tid(text: str) -> int:
    """A thread-id: a thread (hex, > 0), ANY_THREAD ("0") or ALL_THREADS ("-1"); the
    multiprocess form p<pid>.<tid> names tid (p<pid> alone: all its threads)."""
    if text.startswith("p"):
        pid, dot, text = text[1:].partition(".")
        if pid != "-1":
            parse_hex(pid)
        if not dot:
            return ALL_THREADS
    return ALL_THREADS if text == "-1" else parse_hex(text)


def parse_addr_length(text: str) -> tuple[int, int]:
    """The `addr,length` of m, M and X."""
    addr, comma, length = text.partition(",")
    if not comma:
        raise Malformed("no length")
    return parse_hex(addr), parse_hex(length)


# ---- framing ---------------------------------------------------------------------------------
def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((ESCAPE, b ^ ESCAPE_XOR))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """A packet's data as sent (escaped) -> its bytes; Malformed if it ends inside an escape."""
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == ESCAPE:
            nxt = next(it, None)
            if nxt is None:
                raise Malformed("ends with an escape")
            out.append(nxt ^ ESCAPE_XOR)
        else:
            out.append(b)
    return bytes(out)


def frame(data: bytes) -> bytes:
    body = escape(data)
    return b"$" + body + b"#" + f"{checksum(body):02x}".encode()


class PacketReader:
    """Splits the client's byte stream into packets, interrupts and acks.

    A packet is acked before it is handed on (so the ack precedes the reply): '+' if its
    checksum is right, else '-' (the client sends it again), also as soon as a checksum digit
    is not hex. A '$' inside a packet starts a new one: the first was cut short and gets no
    ack. Bytes between packets other than 0x03 and '-' are ignored. The packet is handed on
    as sent (still escaped), cut to PACKET_SIZE + 1 bytes when longer: the stub refuses it.
    """

    def __init__(self, on_packet: Callable[[bytes], None], on_interrupt: Callable[[], None],
                 on_nak: Callable[[], None], send_ack: Callable[[bytes], None]) -> None:
        self.on_packet, self.on_interrupt, self.on_nak = on_packet, on_interrupt, on_nak
        self.send_ack = send_ack
        self._body: bytearray | None = None      # inside a packet: its bytes so far
        self._sum = 0                            # ... and their sum
        self._digits: bytearray | None = None    # after '#': checksum digits so far

    def feed(self, data: bytes) -> None:
        for b in data:
            if self._digits is not None and self._body is not None:
                self._checksum_digit(b, self._body, self._digits)
            elif self._body is not None:
                if b == END:
                    self._digits = bytearray()
                elif b == START:
                    self._start()                # the previous packet was cut
                else:
                    self._sum += b
                    if len(self._body) <= PACKET_SIZE:
                        self._body.append(b)
            elif b == START:
                self._start()
            elif b == INTERRUPT:
                self.on_interrupt()
            elif b == NAK[0]:
                self.on_nak()

    def _start(self) -> None:
        self._body, self._sum, self._digits = bytearray(), 0, None

    def _checksum_digit(self, b: int, body: bytearray, digits: bytearray) -> None:
        if chr(b) not in HEX_DIGITS:
            self._body = self._digits = None
            self.send_ack(NAK)
            if b == START:
                self._start()
            return
        digits.append(b)
        if len(digits) < 2:
            return
        good = int(digits, 16) == self._sum & 0xFF
        self._body = self._digits = None
        self.send_ack(ACK if good else NAK)
        if good:
            self.on_packet(bytes(body))
