"""How the study loop reads the person: single keys (Space, 1-4, u, q) and whole lines (a numeric
answer). The loop only sees :class:`Input`, so tests and other front ends can feed it.

:class:`TerminalInput` puts a terminal in cbreak mode for one key at a time (no Enter needed) and back
in its normal mode for lines; :class:`StreamInput` reads any text stream one character at a time (a
pipe, or Typer's CliRunner), where a key is one character and a line ends with a newline.
"""

from __future__ import annotations

import os
import sys
import termios
import tty
from typing import Protocol, TextIO

QUIT_KEYS = frozenset({"q", "\x03", "\x04", ""})  # q, Ctrl-C, Ctrl-D, end of input


class Input(Protocol):
    def key(self) -> str:
        """The next key pressed, as one character ("" when input has ended)."""
        ...

    def line(self) -> str:
        """The next line typed, without its newline ("" when input has ended)."""
        ...


class StreamInput:
    """Keys and lines from a text stream; newlines between keys are skipped."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def key(self) -> str:
        while True:
            char = self._stream.read(1)
            if char not in {"\n", "\r"}:
                return char

    def line(self) -> str:
        return self._stream.readline().rstrip("\r\n")


class TerminalInput:
    """Keys from a terminal without waiting for Enter; lines with the terminal's own line editing."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def key(self) -> str:
        saved = termios.tcgetattr(self._fd)
        try:
            # TCSANOW, not setcbreak's default TCSAFLUSH, which would drop keys typed ahead.
            tty.setcbreak(self._fd, termios.TCSANOW)
            data = os.read(self._fd, 1)
        finally:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)
        return data.decode("utf-8", errors="replace")

    def line(self) -> str:
        chunks: list[bytes] = []
        while True:
            data = os.read(self._fd, 1)
            if not data or data in {b"\n", b"\r"}:
                return b"".join(chunks).decode("utf-8", errors="replace")
            chunks.append(data)


def for_stdin() -> Input:
    """A terminal reader when stdin is a terminal, otherwise a stream reader."""
    if sys.stdin.isatty():
        return TerminalInput(sys.stdin.fileno())
    return StreamInput(sys.stdin)
