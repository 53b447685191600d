"""Run a program in a pseudo-terminal and read its screen like a user would.

The end-to-end tests and `bench/bench_tui.py` share two parts:

- `PtyProcess`: the program on a fresh pty (`ptyprocess` forks, makes the pty its
  controlling terminal, sets the window size, reports a failed exec). A background
  thread reads everything it writes, with `time.perf_counter()` timestamps, so it never
  blocks on a full pty and the bench can time first frames and keystroke repaints. Waits
  poll with a timeout (`wait_text`, `wait_for`, `wait_quiet`); no test sleeps blindly.
  (pexpect's `expect` reads only while it is called, and matches the byte stream, not
  the screen; the reader thread needs just `ptyprocess`, the layer under pexpect.)
- `Screen`: the text a user sees, rebuilt by `pyte` (VT100/xterm: cursor moves, erase,
  insert/delete, scroll regions, auto-wrap, wide characters by `wcwidth`, which agrees
  with Rich's cell widths for all but a few rare code points). Colours are ignored.

pyte gets a few things wrong that a test of hostile text depends on, so a thin layer
sits in front of it (each piece says why where it is):

- control strings (OSC, DCS, SOS, PM, APC, with 7-bit or C1 introducers): pyte draws the
  body of all but OSC as text and lets ESC run on inside an OSC. They are cut out of the
  decoded text here; every OSC a terminal would act on is kept in `Screen.osc`;
- CSI sequences pyte's parser stops short in (private markers `<`, `=`, `>`,
  sub-parameters, intermediates), drawing their tail as text (Textual ends with
  `CSI < u`, which left a stray "u"): cut out, none of them draws anything;
- a zero-width or unprintable character (ZWJ, U+FE0F, a stray C1) makes pyte drop the
  rest of the text it is drawing: a zero-width one joins the character before it, an
  unprintable one is skipped;
- the alternate screen (`CSI ? 1049 h`), which pyte does not have.
C1 CSI (U+009B) is honoured by pyte itself, as by a vulnerable terminal.
"""

from __future__ import annotations

import codecs
import copy
import os
import re
import select
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyte
from ptyprocess import PtyProcess as _Pty
from pyte.screens import wcwidth

#: A control string: ESC ] (OSC), ESC P (DCS), ESC X (SOS), ESC ^ (PM), ESC _ (APC) or
#: their C1 forms, up to BEL, ST (ESC \ or U+009C) or a lone ESC (which ends the string
#: and starts a sequence of its own, as in a DEC/xterm parser).
_STRING = re.compile(
    r"(?:\x1b(?P<kind>[\]PX^_])|(?P<c1>[\x90\x98\x9d\x9e\x9f]))"
    r"(?P<body>[^\x07\x1b\x9c]*)(?:\x07|\x1b\\|\x9c|(?=\x1b))"
)
#: A complete CSI sequence, 7-bit or C1.
_CSI = re.compile(r"(?:\x1b\[|\x9b)(?P<params>[0-?]*)(?P<inter>[ -/]*)[@-~]")
#: The CSI parameters pyte parses: an optional "?" and numbers separated by ";".
_PYTE_PARAMS = re.compile(r"\??[0-9;]*")
#: A sequence cut by the end of a read; held back until the next one completes it.
_UNFINISHED = re.compile(
    r"(?:(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*\x1b?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*|\x1b)\Z"
)
_ALTERNATE_SCREEN = {47, 1047, 1049}


class _PyteScreen(pyte.Screen):
    """pyte's screen with the fixes that belong inside it (drawing, alternate screen)."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self._primary: tuple[Any, pyte.screens.Cursor] | None = None

    def draw(self, data: str) -> None:
        """Draw text. pyte stops at a zero-width character that is not a combining mark
        (ZWJ, U+FE0F) or an unprintable one and loses the rest of `data`; here a
        zero-width character joins the character before it (as pyte does for combining
        marks, but also after a wide one, and not normalised, so the text stays as the
        program wrote it) and an unprintable one is skipped, as a terminal does."""
        start = 0
        for at, char in enumerate(data):
            width = wcwidth(char)
            if width > 0:
                continue
            super().draw(data[start:at])
            start = at + 1
            x, line = self.cursor.x, self.buffer[self.cursor.y]
            if width == 0 and x:
                x -= 2 if x > 1 and line[x - 1].data == "" else 1  # "": a wide char's stub
                line[x] = line[x]._replace(data=line[x].data + char)
        super().draw(data[start:])

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        """Set modes; entering the alternate screen keeps the normal one and starts blank."""
        super().set_mode(*modes, **kwargs)
        if kwargs.get("private") and _ALTERNATE_SCREEN & set(modes) and not self._primary:
            self._primary = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.erase_in_display(2)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        """Reset modes; leaving the alternate screen shows the normal one again."""
        super().reset_mode(*modes, **kwargs)
        if kwargs.get("private") and _ALTERNATE_SCREEN & set(modes) and self._primary:
            self.buffer, self.cursor = self._primary
            self._primary = None
            self.dirty.update(range(self.lines))


class Screen:
    """What a terminal of `cols` x `rows` shows after a program's output."""

    def __init__(self, cols: int = 80, rows: int = 24) -> None:
        self.cols, self.rows = cols, rows
        self.pyte = _PyteScreen(cols, rows)
        self._stream = pyte.Stream(self.pyte)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""
        #: Every OSC string the program sent (without introducer and terminator): what
        #: a terminal would have acted on (window title, clipboard, hyperlinks...).
        self.osc: list[str] = []

    def feed(self, data: bytes) -> None:
        """Interpret a chunk of output (any split of the stream is fine)."""
        text = self._held + self._decoder.decode(data)
        unfinished = _UNFINISHED.search(text)
        cut = unfinished.start() if unfinished else len(text)
        text, self._held = text[:cut], text[cut:]
        text = _STRING.sub(self._take_string, text)
        self._stream.feed(_CSI.sub(self._keep_if_pyte_parses, text))

    def _take_string(self, match: re.Match[str]) -> str:
        if match["kind"] == "]" or match["c1"] == "\x9d":
            self.osc.append(match["body"])
        return ""

    @staticmethod
    def _keep_if_pyte_parses(match: re.Match[str]) -> str:
        if match["inter"] or not _PYTE_PARAMS.fullmatch(match["params"]):
            return ""
        return match[0]

    # -- what is on the screen ------------------------------------------------------------
    @property
    def x(self) -> int:
        """The cursor's column (0-based)."""
        return int(self.pyte.cursor.x)

    @property
    def y(self) -> int:
        """The cursor's row (0-based)."""
        return int(self.pyte.cursor.y)

    @property
    def cells(self) -> list[list[str]]:
        """The text of every cell, row by row; the cell right of a wide character is ""."""
        buffer = self.pyte.buffer
        return [[buffer[y][x].data for x in range(self.cols)] for y in range(self.rows)]

    def lines(self) -> list[str]:
        """The rows of the screen as text, trailing blanks removed."""
        return [line.rstrip() for line in self.pyte.display]

    def text(self) -> str:
        """The whole screen as text, one line per row."""
        return "\n".join(self.lines())


class PtyTimeout(AssertionError):
    """A wait ran out; the message carries the screen as it was."""


class PtyProcess:
    """A program on its own pseudo-terminal, its output read continuously.

    A background thread only reads and timestamps (`raw`, and `chunks`); the screen is
    brought up to date when it is looked at, so the emulator's work never delays a read
    and the bench's timestamps are those of the bytes arriving.
    """

    def __init__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cols: int = 80,
        rows: int = 24,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        environ = dict(os.environ if env is None else env)
        environ.setdefault("TERM", "xterm-256color")
        environ.update({"COLUMNS": str(cols), "LINES": str(rows)})
        self._screen = Screen(cols, rows)
        self._fed = 0  # bytes of `raw` the screen has seen
        self.raw = bytearray()
        #: (perf_counter() when read, offset in `raw` where the chunk starts, its length).
        self.chunks: list[tuple[float, int, int]] = []
        self.eof = False
        self.returncode: int | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.started = time.perf_counter()
        self._pty = _Pty.spawn(
            [os.fspath(a) for a in argv],
            cwd=None if cwd is None else os.fspath(cwd),
            env=environ,
            dimensions=(rows, cols),
        )
        self.pid, self.fd = self._pty.pid, self._pty.fd
        self._reader = threading.Thread(target=self._read_loop, name="pty-reader", daemon=True)
        self._reader.start()

    # -- reading --------------------------------------------------------------------------
    def _read_loop(self) -> None:
        # os.read, not ptyprocess' read(): that one flags EOF, after which its isalive()
        # blocks in waitpid until the program ends (one that closed its terminal but
        # still runs would hang `alive()`).
        while not self._stop.is_set():
            try:
                ready, _w, _x = select.select([self.fd], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the program closed its side of the terminal
                data = b""
            now = time.perf_counter()
            with self._cond:
                if not data:
                    self.eof = True
                    self._cond.notify_all()
                    return
                self.chunks.append((now, len(self.raw), len(data)))
                self.raw += data
                self._cond.notify_all()

    @property
    def screen(self) -> Screen:
        """The screen as of all output read so far."""
        with self._cond:
            return self._caught_up()

    def _caught_up(self) -> Screen:
        # Called with the lock held.
        if self._fed < len(self.raw):
            self._screen.feed(bytes(self.raw[self._fed :]))
            self._fed = len(self.raw)
        return self._screen

    def output(self, since: int = 0) -> bytes:
        """Raw bytes written so far (from offset `since`)."""
        with self._cond:
            return bytes(self.raw[since:])

    def mark(self) -> int:
        """The current end of the raw output, to look at what comes after it."""
        with self._cond:
            return len(self.raw)

    def text(self) -> str:
        """The screen as text right now."""
        return self.screen.text()

    def _wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0 or (self.eof and not ready()):
                    return ready()
                self._cond.wait(min(left, 0.05))
            return True

    def _fail(self, what: str, timeout: float) -> PtyTimeout:
        if self.eof:  # the terminal closed: the program ends (or ended) right now
            self.wait_exit(2.0)
        if self.alive():
            status = f"still running after {timeout:.0f} s"
        else:
            status = f"the program exited ({self.returncode})"
        return PtyTimeout(f"waited for {what}; {status}; screen:\n{self.text()}")

    def wait_for(
        self, condition: Callable[[Screen], bool], timeout: float = 30.0, what: str = "condition"
    ) -> None:
        """Wait until `condition(screen)` holds (checked whenever output arrives)."""
        if not self._wait(lambda: condition(self._caught_up()), timeout):
            raise self._fail(what, timeout)

    def wait_text(self, *texts: str, timeout: float = 30.0) -> None:
        """Wait until the screen shows every one of `texts`."""

        def shown(screen: Screen) -> bool:
            content = screen.text()
            return all(t in content for t in texts)

        self.wait_for(shown, timeout, what=" and ".join(repr(t) for t in texts))

    def wait_output(self, since: int, timeout: float = 10.0) -> float | None:
        """Wait for output after offset `since`; the time its first chunk was read, or None."""
        if not self._wait(lambda: len(self.raw) > since, timeout):
            return None
        with self._cond:
            for at, start, length in self.chunks:
                if start + length > since:
                    return at
        return None

    def wait_quiet(self, quiet: float = 0.1, timeout: float = 10.0) -> float:
        """Wait until nothing was written for `quiet` seconds; the time of the last chunk."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                last = self.chunks[-1][0] if self.chunks else self.started
            idle = time.perf_counter() - last
            if idle >= quiet or self.eof:
                return last
            if time.monotonic() >= deadline:
                raise self._fail(f"{quiet} s of quiet", timeout)
            time.sleep(min(quiet - idle, 0.02) + 0.001)

    # -- writing and the process ----------------------------------------------------------
    def send(self, data: bytes | str) -> float:
        """Type bytes into the terminal; returns perf_counter() just before the write."""
        payload = data.encode() if isinstance(data, str) else data
        at = time.perf_counter()
        self._pty.write(payload)
        return at

    def type_keys(self, text: str, delay: float = 0.0) -> None:
        """Type text one key at a time (like a person, with an optional pause)."""
        for char in text:
            self.send(char)
            if delay:
                time.sleep(delay)

    def alive(self) -> bool:
        """Whether the program still runs (reaps it if it ended)."""
        if self._pty.isalive():
            return True
        if self.returncode is None:  # like subprocess: -N when a signal N ended it
            code = self._pty.exitstatus
            self.returncode = code if code is not None else -self._pty.signalstatus
        return False

    def wait_exit(self, timeout: float = 10.0) -> int | None:
        """Wait for the program to end; its exit code, or None if it still runs.

        Once it ended, the rest of its output is read (up to the end of the terminal), so
        `output()` and the screen hold everything it wrote.
        """
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)
        self._wait(lambda: self.eof, 2.0)
        return self.returncode

    def rss_kb(self) -> int | None:
        """Resident memory of the program (VmRSS from /proc), in KiB."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None

    def close(self) -> None:
        """End the program (SIGHUP as from a closed terminal, then harder) and the pty."""
        try:
            self._pty.terminate(force=True)
            self.alive()
        finally:
            self._stop.set()
            self._reader.join(timeout=2)
            self._pty.delayafterclose = 0.0  # its pause is for a program still running
            self._pty.close(force=True)

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
