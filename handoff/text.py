"""Text from data, files, URLs or users, made safe for where people read it.

Streamlit renders markdown (links, images, `:red[…]` colour and `:material/…:` icon directives, `$…$`
maths) in markdown, captions, alerts, tile labels and help texts; Plotly renders a little HTML
(`<a href>`, `<b>`, `<br>`) in chart labels. A channel named `![x](http://host/x.png)` must read as
those characters, never load an image. So:

- `Markdown` is markdown Handoff wrote: trusted as it is. `md(template, *values)` builds one, escaping
  every value that is not itself `Markdown` (like markupsafe's `Markup.format`).
- `ui`'s text functions (markdown, caption, warning, error, info, success, tiles) render a `Markdown` as
  markdown and escape anything else entirely: the one place page text goes through.
- `plot(value)` escapes a value for a Plotly label.
"""

from __future__ import annotations

import html
import re
import string

# The marks that start markup in Streamlit's markdown, escaped with a backslash: emphasis (* _ ~), code
# (`), links and images ([ ] !), HTML and autolinks (< >), headings (#), maths ($) and entities (&).
# Colons are written as an entity (a backslash does not stop Streamlit's :material/…: icons); a word
# joiner in "://", "www." and an address's "@" keeps them from becoming links (an emoji shortcode such
# as :smile: still shows its emoji: harmless).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]!<>#$&])")
_JOINER = "\u2060"  # WORD JOINER: invisible, zero-width


class Markdown(str):
    """Markdown that Handoff wrote (trusted); values in it were escaped by `md`."""

    __slots__ = ()

    def __add__(self, other: object) -> Markdown:
        return Markdown(str.__add__(self, escape(other)))

    def __radd__(self, other: object) -> Markdown:
        return Markdown(str.__add__(escape(other), self))

    def join(self, parts) -> Markdown:  # type: ignore[override]
        return Markdown(str.join(self, (escape(part) for part in parts)))


def escape(value: object) -> Markdown:
    """`value` as markdown that reads exactly as its characters (a `Markdown` passes unchanged)."""
    if isinstance(value, Markdown):
        return value
    text = " ".join(str(value).splitlines())  # a line break in a value cannot start a new block
    text = re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:3] + _JOINER + ".", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace("://", ":" + _JOINER + "//")
    text = re.sub(r"(?<=\w)@(?=\w)", _JOINER + "@", text)
    return Markdown(text.replace(":", "&#58;"))


def md(template: str, *values: object, **named: object) -> Markdown:
    """Markdown from a template Handoff wrote, with every value escaped (`{}` or `{name}` fields; a
    format spec such as `{:,}` applies to the value before it is escaped)."""
    return Markdown(_ESCAPING.vformat(template, values, named))


class _EscapingFormatter(string.Formatter):
    """str.format, with each field's formatted value escaped for markdown (a Markdown value kept)."""

    def format_field(self, value, format_spec):
        if isinstance(value, Markdown) and not format_spec:
            return str(value)
        return str(escape(format(value, format_spec)))


_ESCAPING = _EscapingFormatter()


def plot(value: object) -> str:
    """`value` for a Plotly label or hover text: its characters, never markup (<a>, <b>, <br>)."""
    return html.escape(" ".join(str(value).splitlines()), quote=False)


def to_html(markdown: Markdown | str) -> str:
    """A sentence of Handoff's markdown (bold and escaped values) as HTML, for the meeting pack."""
    pieces = re.split(r"(?<!\\)\*\*", str(markdown))
    out = []
    for index, piece in enumerate(pieces):
        escaped = html.escape(unescape(piece), quote=False)
        out.append(f"<b>{escaped}</b>" if index % 2 else escaped)
    return "".join(out)


def unescape(markdown: str) -> str:
    """The characters a piece of escaped markdown reads as (what a person sees)."""
    text = markdown.replace("&#58;", ":").replace(_JOINER, "")
    return re.sub(r"\\([\\`*_~\[\]!<>#$&])", r"\1", text)
