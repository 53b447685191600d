"""The one sanitiser for untrusted text (tickets, mails, requesters, KB): DESIGN §5.

Terminal control sequences in a ticket must never reach the terminal: an OSC 52 could
write the agent's clipboard, an OSC 0 retitle the window, a CSI clear the screen, and
C1 controls (0x80-0x9f) act like ESC on some terminals. Bidi overrides can make text read
differently from what it is. Everything of that kind is replaced by a visible stand-in,
so the agent sees that something odd was there. The result is plain text: render it
with `rich.text.Text` / `textual.content.Content`, never as markup.
"""

from __future__ import annotations

import re
import unicodedata

from rich.text import Text

# C0 controls except TAB and LF, DEL, C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
# Bidi embeddings/overrides/isolates and other invisible format characters that
# reorder or hide text (Trojan Source).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u206a-\u206f\ufeff]")
_WHITESPACE = re.compile(r"\s+")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ESC -> ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def sanitize(text: str | None) -> str:
    """Untrusted text with control and bidi characters made visible and harmless.

    Keeps newlines and tabs (tabs become four spaces so cells stay aligned).
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\t", "    ")
    text = _CONTROL.sub(_visible, text.replace("\r", "\n"))
    return _BIDI.sub(_visible, text)


def sanitize_line(text: str | None, max_len: int | None = None) -> str:
    """Sanitised text on one line (for table cells and headers), optionally shortened."""
    line = _WHITESPACE.sub(" ", sanitize(text)).strip()
    if max_len is not None and len(line) > max_len:
        return line[: max(0, max_len - 1)] + "…"
    return line


def plain(text: str | None, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich `Text` of sanitised untrusted text: never parsed as markup."""
    return Text(sanitize_line(text) if one_line else sanitize(text), style=style)
