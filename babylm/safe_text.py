"""Showing untrusted text (a vocabulary, an uploaded file's name) exactly as it is, on any page.

A vocabulary may hold a backtick, `*` or `[`, and a file name may be Markdown; Streamlit renders
both as Markdown. Worse, Unicode format characters are invisible and some act on their
neighbours: U+202E (right-to-left override) reverses everything after it. So:

- `visible_char` shows one character as a person can identify it: space and newline as ␣ and ⏎,
  and any control, format, private-use or unassigned character as its code, e.g. `U+202E`;
- `plain` does that to every such character of a string and cuts it to a length;
- `md` escapes Markdown so the text is shown literally inside st.markdown / st.error etc.
"""

from __future__ import annotations

import re
import unicodedata

SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥"}
HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # control, format (bidi, zero-width)...
# What can restyle a line mid-sentence: emphasis, code, links, HTML, headings, tables, strike-through,
# $math$, and Streamlit's :emoji: / :red[...] directives (a colon before a letter).
MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$]|:(?=[A-Za-z_]))")
# A bare address becomes a link however it is escaped (GFM autolinks): a zero-width space breaks
# "http://", "www." and an e-mail's "@", so it reads the same and links nowhere.
AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def visible_char(ch: str) -> str:
    """One vocabulary character as it should appear on screen: never invisible, never acting."""
    if ch in SHOWN:
        return SHOWN[ch]
    if unicodedata.category(ch) in HIDDEN_CATEGORIES:
        return f"U+{ord(ch):04X}"
    return ch


def plain(text: str, limit: int = 80) -> str:
    """`text` with every hidden or acting character written as its code, cut to `limit`."""
    out = "".join(f"U+{ord(ch):04X}" if unicodedata.category(ch) in HIDDEN_CATEGORIES else ch
                  for ch in str(text))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def md(text: str) -> str:
    """Escape Markdown (and Streamlit's :colour[...] / $math$ directives) so it shows literally,
    and keep a bare address from becoming a link."""
    return AUTOLINK.sub("\u200b", MARKDOWN.sub(r"\\\1", text))
