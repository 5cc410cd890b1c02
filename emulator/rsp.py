"""The GDB Remote Serial Protocol's wire format: packet framing, acks, escapes, thread ids.

A packet is `$data#cs` (cs: two hex digits, the sum of data's bytes mod 256); the receiver
acks it with '+' or asks for it again with '-'. Inside data, '#', '$', '}' and '*' are sent
as '}' then the byte xor 0x20. A 0x03 byte outside a packet is an interrupt (Ctrl-C).
Used by the GDB stub (emulator/gdbstub.py); knows bytes, not registers or threads.
"""

from __future__ import annotations

PACKET_SIZE = 0x4000              # what we tell gdb (bytes of packet data we accept)
MAX_PACKET = 0x10000              # a longer "packet" is garbage: dropped
INTERRUPT = 0x03
ESCAPE = 0x7D
ESCAPE_XOR = 0x20


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
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == ESCAPE:
            nxt = next(it, None)
            if nxt is not None:
                out.append(nxt ^ ESCAPE_XOR)
        else:
            out.append(b)
    return bytes(out)


def frame(data: bytes) -> bytes:
    body = escape(data)
    return b"$" + body + b"#" + f"{checksum(body):02x}".encode()


class PacketReader:
    """Splits the client's byte stream into packets, interrupts and acks. A packet is acked
    ('+', or '-' for a bad checksum) before it is handed on, so the ack precedes the reply."""

    def __init__(self, on_packet, on_interrupt, on_nak, send_ack) -> None:
        self.on_packet, self.on_interrupt, self.on_nak = on_packet, on_interrupt, on_nak
        self.send_ack = send_ack
        self._buf: bytearray | None = None      # inside a packet: its bytes so far
        self._sum: bytearray | None = None      # after '#': checksum digits so far

    def feed(self, data: bytes) -> None:
        for b in data:
            if self._sum is not None:
                self._sum.append(b)
                if len(self._sum) == 2:
                    self._end_packet()
            elif self._buf is not None:
                if b == ord("#"):
                    self._sum = bytearray()
                elif b == ord("$"):
                    self._buf = bytearray()          # restart: the previous one was cut
                elif len(self._buf) >= MAX_PACKET:
                    self._buf = None
                else:
                    self._buf.append(b)
            elif b == ord("$"):
                self._buf = bytearray()
            elif b == INTERRUPT:
                self.on_interrupt()
            elif b == ord("-"):
                self.on_nak()
            # '+' and garbage between packets: ignored

    def _end_packet(self) -> None:
        body, digits = bytes(self._buf or b""), bytes(self._sum or b"")
        self._buf = self._sum = None
        try:
            good = int(digits, 16) == checksum(body)
        except ValueError:
            good = False
        self.send_ack(b"+" if good else b"-")
        if good:
            self.on_packet(unescape(body))


def parse_tid(text: str) -> int:
    text = text.strip()
    if text.startswith("p"):                      # multiprocess form p<pid>.<tid>
        text = text.split(".")[-1]
    return -1 if text == "-1" else int(text or "0", 16)

