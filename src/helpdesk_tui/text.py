"""The one sanitiser for untrusted text (tickets, mails, requesters, KB): DESIGN §5.

Terminal control sequences in a ticket must never reach the terminal: an OSC 52 could
write the agent's clipboard, an OSC 0 retitle the window, a CSI clear the screen, and
C1 controls (0x80-0x9f) act like ESC on some terminals. Bidi overrides can make text read
differently from what it is. Everything of that kind is replaced by a visible stand-in,
so the agent sees that something odd was there. The result is plain text: render it
with `rich.text.Text` / `textual.content.Content`, never as markup.

One character set, four shapes of output:
- `sanitize` / `sanitize_line`: text for the screen (TUI, CLI tables and pages);
- `sanitize_message`: a one-line message the program builds around outside values
  (confirmations, errors), spacing kept, line breaks made visible;
- `sanitize_data`: text for files and pipes (CSV cells, exported Markdown): every printable
  character, newline and tab kept as it is, only the dangerous ones replaced;
- `escape_for_json`: the same characters as JSON `\\uXXXX` escapes (lossless);
plus `spreadsheet_safe` for CSV cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 controls except TAB and LF, DEL, C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
# Bidi embeddings/overrides/isolates, line/paragraph separators and other invisible format
# characters that reorder, hide or break text (Trojan Source); lone surrogates (from
# undecodable command-line bytes) that no terminal encoding can carry.
_FORMAT = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u206a-\u206f\ufeff"
_SURROGATES = "\ud800-\udfff"
_BIDI = re.compile(f"[{_FORMAT}{_SURROGATES}]")
#: Every character no output of ours may carry raw: C0 (TAB and LF included: the callers
#: that keep them say so), DEL, C1, the format characters above, lone surrogates.
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}{_SURROGATES}]")
_WHITESPACE = re.compile(r"\s+")
_UNSAFE_IN_DATA = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}{_SURROGATES}]")

#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection"), with the
#: full-width forms some locales accept too.
_FORMULA_START = tuple("=+-@\uff1d\uff0b\uff0d\uff20")
_FORMULA_LEAD = ("\t", "\r", "\n")


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
    # Lone surrogates cannot be normalised (nor printed): make them visible first.
    text = _BIDI.sub(_visible, text)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\t", "    ")
    return _CONTROL.sub(_visible, text.replace("\r", "\n"))


def sanitize_line(text: str | None, max_len: int | None = None) -> str:
    """Sanitised text on one line (for table cells and headers), optionally shortened."""
    line = _WHITESPACE.sub(" ", sanitize(text)).strip()
    if max_len is not None and len(line) > max_len:
        return line[: max(0, max_len - 1)] + "…"
    return line


def sanitize_message(text: object) -> str:
    """A one-line message for the terminal: our own wording around outside values.

    Unlike `sanitize_line` it keeps runs of spaces (aligned columns stay aligned); every
    control, line break included, becomes a visible stand-in, so an outside value can
    neither send an escape nor forge a second line ("helpdesk: ...") under ours.
    """
    line = str(text).replace("\t", " ")
    return UNSAFE.sub(_visible, line)


def sanitize_data(text: str | None) -> str:
    """Outside text for a file or a pipe (CSV, exported Markdown): the data, never an escape.

    Every printable character, newline and tab stays as it is (no normalisation); a CRLF
    or a lone CR becomes a newline (a lone CR would let text overwrite the line it is on);
    other controls and the bidi/format characters get the screen's visible stand-ins.
    The exact bytes are what `--format json` is for.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE_IN_DATA.sub(_visible, text)


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: formula starts are prefixed with `'`.

    The OWASP rule (cells starting with = + - @ TAB CR), extended to a formula character
    after leading white space, a leading newline and the full-width forms. Apply after
    `sanitize_data`.
    """
    if cell.startswith(_FORMULA_LEAD) or cell.lstrip().startswith(_FORMULA_START):
        return "'" + cell
    return cell


def escape_for_json(dumped: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with every unsafe code point
    written as a `\\uXXXX` escape: lossless, yet nothing raw reaches a terminal.

    `json.dumps` escapes C0 inside strings itself, so the only raw C0 left are the
    newlines between lines, which stay.
    """
    return UNSAFE.sub(_json_escape, dumped)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return char if char == "\n" else f"\\u{ord(char):04x}"


def plain(text: str | None, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich `Text` of sanitised untrusted text: never parsed as markup."""
    from rich.text import Text

    return Text(sanitize_line(text) if one_line else sanitize(text), style=style)
