"""Which processes hold a port's TCP sockets, read from Linux's ``/proc`` (IPv4 sockets).

For the socket-per-worker tests and for ``bench/load.py``, which prints how a multi-worker server's
connections are spread: the split of long-lived connections over the workers decides the tail latency.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

LISTEN, ESTABLISHED = "0A", "01"


def sockets(port: int, state: str) -> list[str]:
    """Inodes of the local TCP sockets on ``port`` in ``state`` (``/proc/net/tcp``)."""
    inodes = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state:
            inodes.append(fields[9])
    return inodes


def owners(inodes: list[str]) -> Counter[int]:
    """How many of these sockets each process holds (processes holding none are left out)."""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    held: Counter[int] = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:
            continue
        held[int(entry.name)] += len(links & wanted)
    return +held
