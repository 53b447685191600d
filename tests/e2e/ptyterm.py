"""Run a program in a pseudo-terminal and read its screen like a user would.

Two parts, stdlib only (the end-to-end tests and `bench/bench_tui.py` share them):

- `Screen`: a small VT100/xterm emulator, good enough to rebuild the text of a
  full-screen app's frame: cursor moves (CUP, CUU/CUD/CUF/CUB, CHA, VPA, ...), erase
  (ED, EL, ECH), insert/delete, scrolling regions, auto-wrap, wide characters. Colours
  and other SGR attributes are ignored; OSC strings are consumed and remembered in
  `Screen.osc` (so a test can tell what a terminal would have acted on). C1 controls in
  the decoded text (e.g. U+009B, CSI) are honoured as a vulnerable terminal would.
- `PtyProcess`: starts a command on a fresh pty (a given window size, its controlling
  terminal), reads everything it writes in a background thread with timestamps, feeds
  the emulator, and offers polling waits (`wait_text`, `wait_for`, `wait_quiet`) so
  tests never rely on fixed sleeps.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import select
import signal
import struct
import termios
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

_rich_cell_size: Callable[[str], int] | None
try:  # the same cell widths Textual uses when it lays out a line
    from rich.cells import get_character_cell_size as _rich_cell_size
except ImportError:  # pragma: no cover - rich is always there next to Textual
    _rich_cell_size = None


def char_width(char: str) -> int:
    """Cells a character takes: 0 (combining), 1 or 2 (wide)."""
    if _rich_cell_size is not None:
        return int(_rich_cell_size(char))
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class Screen:
    """A text-only terminal screen fed with a program's output."""

    def __init__(self, cols: int = 80, rows: int = 24) -> None:
        self.cols, self.rows = cols, rows
        self.cells: list[list[str]] = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.wrap_pending = False
        self.autowrap = True
        self.top, self.bottom = 0, rows - 1
        self.saved: tuple[int, int] = (0, 0)
        #: Every OSC string the program sent (without the introducer and terminator).
        self.osc: list[str] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._state = "ground"
        self._seq = ""

    # -- input ----------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Interpret a chunk of output (any split of a UTF-8 stream is fine)."""
        for char in self._decoder.decode(data):
            self._char(char)

    def _char(self, char: str) -> None:
        state = self._state
        if state == "ground":
            self._ground(char)
        elif state == "escape":
            self._escape(char)
        elif state == "escape-intermediate":
            self._state = "ground"  # ESC ( B and friends: charset designations, ignored
        elif state == "csi":
            self._csi_char(char)
        elif state in ("osc", "string"):
            if char in ("\x07", "\x9c"):
                self._end_string()
            elif char == "\x1b":
                self._state += "-esc"
            else:
                self._seq += char
        elif state in ("osc-esc", "string-esc"):
            if char == "\\":
                self._end_string()
            else:  # a lone ESC inside a string: the string ends, ESC starts anew
                self._state = state.removesuffix("-esc")
                self._end_string()
                self._state = "escape"
                self._escape(char)

    def _end_string(self) -> None:
        if self._state.startswith("osc"):
            self.osc.append(self._seq)
        self._state, self._seq = "ground", ""

    def _ground(self, char: str) -> None:
        code = ord(char)
        if code >= 0x20 and not 0x7F <= code <= 0x9F:
            self._print(char)
        elif char == "\x1b":
            self._state = "escape"
        elif char == "\r":
            self.x, self.wrap_pending = 0, False
        elif char in "\n\x0b\x0c":
            self._linefeed()
        elif char == "\b":
            self.x, self.wrap_pending = max(0, self.x - 1), False
        elif char == "\t":
            self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
        elif char == "\x9b":  # C1 CSI
            self._state, self._seq = "csi", ""
        elif char == "\x9d":  # C1 OSC
            self._state, self._seq = "osc", ""
        elif char in "\x90\x98\x9e\x9f":  # C1 DCS, SOS, PM, APC
            self._state, self._seq = "string", ""
        # BEL, SO/SI, NUL, DEL and other controls change nothing on a text screen.

    def _escape(self, char: str) -> None:
        self._state = "ground"
        if char == "[":
            self._state, self._seq = "csi", ""
        elif char == "]":
            self._state, self._seq = "osc", ""
        elif char in "PX^_":
            self._state, self._seq = "string", ""
        elif char in "()*+-./#%":
            self._state = "escape-intermediate"
        elif char == "7":
            self.saved = (self.x, self.y)
        elif char == "8":
            self.x, self.y = self.saved
            self.wrap_pending = False
        elif char == "D":
            self._linefeed()
        elif char == "E":
            self.x = 0
            self._linefeed()
        elif char == "M":
            self._reverse_index()
        elif char == "c":
            self.__init__(self.cols, self.rows)  # type: ignore[misc]

    def _csi_char(self, char: str) -> None:
        if 0x40 <= ord(char) <= 0x7E:
            self._state = "ground"
            self._csi(self._seq, char)
            self._seq = ""
        elif 0x20 <= ord(char) <= 0x3F:
            self._seq += char
        elif char == "\x1b":
            self._state = "escape"
        else:  # a control inside a CSI is executed, the sequence goes on
            self._ground(char)
            self._state = "csi"

    # -- CSI ------------------------------------------------------------------------------
    def _csi(self, body: str, final: str) -> None:
        private = body[:1] in ("?", ">", "<", "=")
        intermediate = "".join(c for c in body if 0x20 <= ord(c) <= 0x2F)
        digits = body.lstrip("?><=").rstrip(" !\"#$%&'()*+,-./")
        params = [int(p) if p.isdigit() else 0 for p in digits.replace(":", ";").split(";")]

        def arg(i: int = 0, default: int = 1) -> int:
            value = params[i] if i < len(params) else 0
            return value or default

        if intermediate or (private and final not in "hl"):
            return  # DECRQM, kitty keyboard, XTVERSION...: queries and modes, no drawing
        self.wrap_pending = final in "m" and self.wrap_pending
        if final in "Hf":
            self.y = min(self.rows - 1, arg(0) - 1)
            self.x = min(self.cols - 1, arg(1) - 1)
        elif final == "A":
            self.y = max(0, self.y - arg())
        elif final in "Be":
            self.y = min(self.rows - 1, self.y + arg())
        elif final in "Ca":
            self.x = min(self.cols - 1, self.x + arg())
        elif final == "D":
            self.x = max(0, self.x - arg())
        elif final == "E":
            self.x, self.y = 0, min(self.rows - 1, self.y + arg())
        elif final == "F":
            self.x, self.y = 0, max(0, self.y - arg())
        elif final in "G`":
            self.x = min(self.cols - 1, arg() - 1)
        elif final == "d":
            self.y = min(self.rows - 1, arg() - 1)
        elif final == "J":
            self._erase_display(arg(0, 0))
        elif final == "K":
            self._erase_line(arg(0, 0))
        elif final == "X":
            row = self.cells[self.y]
            for x in range(self.x, min(self.cols, self.x + arg())):
                row[x] = " "
        elif final == "@":
            row = self.cells[self.y]
            n = min(arg(), self.cols - self.x)
            row[self.x :] = [" "] * n + row[self.x : self.cols - n]
        elif final == "P":
            row = self.cells[self.y]
            n = min(arg(), self.cols - self.x)
            row[self.x :] = row[self.x + n :] + [" "] * n
        elif final == "L":
            for _ in range(arg()):
                self._scroll_down(self.y)
        elif final == "M":
            for _ in range(arg()):
                self._scroll_up(self.y)
        elif final == "S":
            for _ in range(arg()):
                self._scroll_up(self.top)
        elif final == "T":
            for _ in range(arg()):
                self._scroll_down(self.top)
        elif final == "r":
            top, bottom = arg(0) - 1, arg(1, self.rows) - 1
            if 0 <= top < bottom < self.rows:
                self.top, self.bottom = top, bottom
                self.x = self.y = 0
        elif final == "s":
            self.saved = (self.x, self.y)
        elif final == "u":
            self.x, self.y = self.saved
        elif final in "hl" and private:
            on = final == "h"
            for mode in params:
                if mode == 7:
                    self.autowrap = on
                elif mode in (47, 1047, 1049):  # alternate screen: starts blank
                    self._erase_display(2)
        # SGR (m) and everything else only changes looks.

    def _erase_display(self, how: int) -> None:
        if how == 0:
            self._erase_line(0)
            for y in range(self.y + 1, self.rows):
                self.cells[y] = [" "] * self.cols
        elif how == 1:
            self._erase_line(1)
            for y in range(self.y):
                self.cells[y] = [" "] * self.cols
        else:
            self.cells = [[" "] * self.cols for _ in range(self.rows)]

    def _erase_line(self, how: int) -> None:
        row = self.cells[self.y]
        start, end = {0: (self.x, self.cols), 1: (0, self.x + 1)}.get(how, (0, self.cols))
        for x in range(start, min(end, self.cols)):
            row[x] = " "

    # -- text and movement ---------------------------------------------------------------
    def _print(self, char: str) -> None:
        width = char_width(char)
        if width == 0:
            px = self.x if self.wrap_pending else self.x - 1
            if px >= 0:
                self.cells[self.y][px] += char
            return
        if self.wrap_pending and self.autowrap:
            self.x = 0
            self._linefeed()
        self.wrap_pending = False
        if width == 2 and self.x == self.cols - 1:
            if not self.autowrap:
                return
            self.cells[self.y][self.x] = " "
            self.x = 0
            self._linefeed()
        row = self.cells[self.y]
        row[self.x] = char
        if width == 2:
            row[self.x + 1] = ""
        self.x += width
        if self.x >= self.cols:
            self.x = self.cols - 1
            self.wrap_pending = self.autowrap

    def _linefeed(self) -> None:
        self.wrap_pending = False
        if self.y == self.bottom:
            self._scroll_up(self.top)
        elif self.y < self.rows - 1:
            self.y += 1

    def _reverse_index(self) -> None:
        if self.y == self.top:
            self._scroll_down(self.top)
        elif self.y > 0:
            self.y -= 1

    def _scroll_up(self, top: int) -> None:
        del self.cells[top]
        self.cells.insert(self.bottom, [" "] * self.cols)

    def _scroll_down(self, top: int) -> None:
        del self.cells[self.bottom]
        self.cells.insert(top, [" "] * self.cols)

    # -- output ---------------------------------------------------------------------------
    def lines(self) -> list[str]:
        """The rows of the screen as text, trailing blanks removed."""
        return ["".join(row).rstrip() for row in self.cells]

    def text(self) -> str:
        """The whole screen as text, one line per row."""
        return "\n".join(self.lines())


def set_window_size(fd: int, rows: int, cols: int) -> None:
    """Tell the pty its size (what TIOCGWINSZ and SIGWINCH report to the program)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyTimeout(AssertionError):
    """A wait ran out; the message carries the screen as it was."""


class PtyProcess:
    """A program on its own pseudo-terminal, its output read continuously.

    Output is read by a background thread (the program never blocks on a full pty),
    kept raw (`raw`, `chunks` with `time.perf_counter()` timestamps) and fed to `screen`.
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
        args = [os.fspath(a) for a in argv]
        environ = dict(os.environ if env is None else env)
        environ.update(
            {
                "TERM": environ.get("TERM", "xterm-256color"),
                "COLUMNS": str(cols),
                "LINES": str(rows),
            }
        )
        self.screen = Screen(cols, rows)
        self.raw = bytearray()
        #: (perf_counter() when read, offset in `raw` where the chunk starts, its length).
        self.chunks: list[tuple[float, int, int]] = []
        self.eof = False
        self.returncode: int | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        master, slave = os.openpty()
        set_window_size(slave, rows, cols)
        self.started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child only sets up its terminal and execs
            try:
                os.close(master)
                os.login_tty(slave)
                if cwd is not None:
                    os.chdir(cwd)
                os.execve(args[0], args, environ)
            finally:
                os._exit(127)
        os.close(slave)
        self.pid, self.fd = pid, master
        self._reader = threading.Thread(target=self._read_loop, name="pty-reader", daemon=True)
        self._reader.start()

    # -- reading --------------------------------------------------------------------------
    def _read_loop(self) -> None:
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
                self.screen.feed(data)
                self._cond.notify_all()

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
        with self._cond:
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
        """Wait until `condition(screen)` holds (checked after every chunk of output)."""
        if not self._wait(lambda: condition(self.screen), timeout):
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
        while payload:
            written = os.write(self.fd, payload)
            payload = payload[written:]
        return at

    def type_keys(self, text: str, delay: float = 0.0) -> None:
        """Type text one key at a time (like a person, with an optional pause)."""
        for char in text:
            self.send(char)
            if delay:
                time.sleep(delay)

    def alive(self) -> bool:
        """Whether the program still runs (reaps it if it ended)."""
        if self.returncode is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.returncode = os.waitstatus_to_exitcode(status)
        return False

    def wait_exit(self, timeout: float = 10.0) -> int | None:
        """Wait for the program to end; its exit code, or None if it still runs."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)
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

    def close(self, timeout: float = 5.0) -> None:
        """End the program (SIGTERM, then SIGKILL) and release the terminal."""
        try:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not self.alive():
                    break
                os.kill(self.pid, sig)
                if self.wait_exit(timeout) is not None:
                    break
        except ChildProcessError:
            pass
        finally:
            self._stop.set()
            self._reader.join(timeout=2)
            with contextlib.suppress(OSError):
                os.close(self.fd)

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
