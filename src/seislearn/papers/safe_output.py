"""Text from the literature CSV made safe for terminals and spreadsheets.

The database is a CSV anyone can edit, so its cells are untrusted:

* :func:`strip_control` removes what a terminal would act on rather than show:
  C0 and C1 control characters (ESC starts ANSI colour, cursor and OSC
  sequences such as hyperlinks or window titles; 8-bit CSI ``\\x9b`` is one
  too), DEL, and the bidirectional overrides that reorder what is shown. Tabs
  and newlines are kept in multi-line text and become spaces in table cells.
* :func:`neutralise_formula` puts a ``'`` before a cell that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return, which spreadsheets would
  otherwise run as a formula (CSV injection); the ``'`` makes them show the
  text as it is. ``papers export --keep-formulas`` and ``papers search
  --keep-formulas`` write cells unchanged; reading an exported CSV back
  (:func:`restore_formula`) removes the ``'`` again, so exports round-trip.
"""

from __future__ import annotations

import unicodedata

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Format characters that reorder displayed text (bidi embeddings, overrides, isolates).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS


def strip_control(text: str, keep_newlines: bool = True) -> str:
    """``text`` without control characters a terminal would interpret.

    Parameters
    ----------
    text : str
    keep_newlines : bool
        Keep ``\\n`` and ``\\t`` (multi-line output); otherwise each becomes a space
        (one table cell).
    """
    if keep_newlines:
        return "".join(ch for ch in text if ch in "\n\t" or not _is_control(ch))
    return "".join(
        " " if ch in "\n\t\r" else ch for ch in text if ch in "\n\t\r" or not _is_control(ch)
    )


def neutralise_formula(cell: str) -> str:
    """``cell`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def restore_formula(cell: str) -> str:
    """Undo :func:`neutralise_formula` when reading an exported CSV back (``'=x`` -> ``=x``)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES) else cell
