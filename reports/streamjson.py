"""JSON documents written item by item, byte-identical to one ``json.dumps(..., indent=2)``.

``findings.json`` and ``findings.sarif`` hold one entry per finding and per legacy URL: at a
million URLs, building the whole document and then one giant string costs gigabytes. Here the
document is a small *skeleton* whose big lists are placeholders; the skeleton is dumped as
usual and each placeholder is replaced, on the way out, by its items, each encoded on its own
at the right indentation. The text is exactly what ``json.dumps(document, indent=2,
ensure_ascii=False, sort_keys=...)`` would give for the whole document (a test compares them).

:func:`pretty` is a hand-written encoder for the plain data the reports hold (dict, list,
str, int, float, bool, None): with ``indent`` set, :mod:`json` falls back to its pure-Python
generator encoder, which is slower than building the pieces directly. Anything else falls
back to :func:`json.dumps`, so the output stays identical whatever the data holds.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

# The C string encoder json.dumps uses with ensure_ascii=False (escapes ", \ and controls).
_encode_str = json.encoder.encode_basestring
INDENT = "  "
CHUNK = 1 << 16  # characters gathered before a chunk is handed to the writer


def _float(value: float) -> str:
    # json's own spelling of the special values (allow_nan=True, the default)
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _encode_str,
    type(None): lambda _: "null",
    bool: lambda v: "true" if v else "false",
    int: int.__repr__,
    float: _float,
}


def _emit(value: Any, pad: str, out: list[str], sort_keys: bool) -> None:
    """Append the pieces of ``value`` encoded at indentation ``pad`` to ``out``."""
    # Dispatch on the exact type: subclasses (str enums, IntEnums) take json's own path below.
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        out.append(scalar(value))
        return
    if kind is dict and value and _emit_dict(value, pad, out, sort_keys):
        return
    if kind is dict and not value:
        out.append("{}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = pad + INDENT
        sep, next_sep = "[\n" + inner, ",\n" + inner
        for item in value:
            out.append(sep)
            sep = next_sep
            scalar = _SCALARS.get(type(item))
            if scalar is not None:
                out.append(scalar(item))
            else:
                _emit(item, inner, out, sort_keys)
        out.append("\n" + pad + "]")
    else:  # anything unusual (non-str keys, subclasses, other types): json's own rules
        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys)
        out.append(text.replace("\n", "\n" + pad))


# Indentation → key → the text before the key's value (``,\n`` + indentation + the key encoded
# + ``: ``): report entries are millions of dicts with the same few keys at the same depths.
_HEADS: dict[str, dict[str, str]] = {}
_HEADS_MAX = 4096  # keys kept per indentation (keys of the data itself can be anything)


def _head(heads: dict[str, str], inner: str, key: str) -> str:
    head = ",\n" + inner + _encode_str(key) + ": "
    if len(heads) < _HEADS_MAX:
        heads[key] = head
    return head


def _emit_dict(value: dict[Any, Any], pad: str, out: list[str], sort_keys: bool) -> bool:
    """Append a non-empty dict with only ``str`` keys; False (``out`` as it was) for any
    other key, which json's own rules then encode. Keys are checked as they come, not in a
    pass of their own: report entries are millions of small dicts."""
    start = len(out)
    try:
        keys = sorted(value) if sort_keys else value
    except TypeError:  # keys that do not sort together: json's own rules say what happens
        return False
    inner = pad + INDENT
    heads = _HEADS.get(inner)
    if heads is None:
        heads = _HEADS[inner] = {}
    for key in keys:
        if type(key) is not str:
            del out[start:]
            return False
        item = value[key]
        out.append(heads.get(key) or _head(heads, inner, key))
        scalar = _SCALARS.get(type(item))
        if scalar is not None:
            out.append(scalar(item))
        else:
            _emit(item, inner, out, sort_keys)
    out[start] = "{" + out[start][1:]  # the first key follows "{", not ","
    out.append("\n" + pad + "}")
    return True


def pretty(value: Any, pad: str = "", *, sort_keys: bool = False) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys)``
    would write it nested at indentation ``pad`` (every line after the first starts with it)."""
    out: list[str] = []
    _emit(value, pad, out, sort_keys)
    return "".join(out)


def stream_document(
    skeleton: Mapping[str, Any],
    streams: Mapping[str, Iterable[Any]],
    *,
    sort_keys: bool = False,
) -> Iterator[str]:
    """The text of ``skeleton`` with each list named in ``streams`` filled in item by item.

    ``skeleton`` is the document with a placeholder wherever a streamed list goes: the value
    of :func:`placeholder` for that name (at any depth). Yields chunks of text; joined, they
    equal ``json.dumps(document, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\\n"``
    where ``document`` is the skeleton with the lists in place."""
    tokens = {name: _token(name) for name in streams}
    encoded = {name: json.dumps(token, ensure_ascii=False) for name, token in tokens.items()}
    text = json.dumps(_fill(skeleton, tokens), indent=2, ensure_ascii=False, sort_keys=sort_keys)
    places = []
    for name, quoted in encoded.items():
        at = text.find(quoted)
        if at < 0 or text.find(quoted, at + 1) >= 0:
            raise ValueError(f"placeholder for {name!r} must appear exactly once")
        places.append((at, name))
    pos = 0
    for at, name in sorted(places):
        yield text[pos:at]
        line_start = text.rfind("\n", 0, at) + 1
        pad = " " * (len(text[line_start:at]) - len(text[line_start:at].lstrip(" ")))
        yield from _stream_list(streams[name], pad, sort_keys)
        pos = at + len(encoded[name])
    yield text[pos:] + "\n"


class Placeholder:
    """Stands in the skeleton for the streamed list ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def placeholder(name: str) -> Placeholder:
    """The skeleton value standing for the streamed list ``name``."""
    return Placeholder(name)


def _token(name: str) -> str:
    # A fresh random token per render, so no value of the data itself (run metadata is
    # user-supplied text) can be mistaken for a placeholder in the dumped skeleton.
    return f"\x00{secrets.token_hex(12)}:{name}\x00"


def _fill(value: Any, tokens: Mapping[str, str]) -> Any:
    """``value`` with every :class:`Placeholder` replaced by its random token."""
    if isinstance(value, Placeholder):
        return tokens[value.name]
    if isinstance(value, Mapping):
        return {k: _fill(v, tokens) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, tokens) for v in value]
    return value


def _stream_list(items: Iterable[Any], pad: str, sort_keys: bool) -> Iterator[str]:
    """A JSON list whose ``[`` sits at indentation ``pad``, in chunks of about CHUNK chars."""
    inner = pad + INDENT
    buf: list[str] = []
    size = 0
    first = True
    for item in items:
        piece = ("[\n" if first else ",\n") + inner + pretty(item, inner, sort_keys=sort_keys)
        first = False
        buf.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(buf)
            buf, size = [], 0
    if first:
        yield "[]"
        return
    buf.append("\n" + pad + "]")
    yield "".join(buf)
