"""Open records: a JSON object read into a frozen dataclass without losing a byte of it.

A record's typed fields name the keys that code reads; everything else the object holds (keys
a newer or older version wrote, a value of the wrong shape in a hand-edited file) stays in
``rest`` as read, and ``order`` keeps the object's key order. So ``from_dict(d).to_dict()``
equals ``d`` key for key, in the same order, and a file written by another version is read
without being rewritten differently.

A field is declared with :func:`key` (its JSON name, how a value is read and written); a key
the object did not have is written only once its field is set to something besides the
default (``dataclasses.replace``), after the keys read, in the order the fields are declared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Self

Load = Callable[[Any], Any]
Dump = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def key(
    default: Any = None, *, name: str | None = None, load: Load = _same, dump: Dump = _same
) -> Any:
    """A typed field of a record: JSON key ``name`` (the field's name when None); ``load``
    turns the JSON value into the field's value (TypeError/ValueError: kept raw in ``rest``),
    ``dump`` turns it back."""
    return field(default=default, metadata={"name": name, "load": load, "dump": dump})


class _Spec(NamedTuple):
    attr: str
    load: Load
    dump: Dump
    default: Any


@dataclass(frozen=True, slots=True)
class OpenRecord:
    """Base of the records: the key order as read (``order``) and the untyped keys (``rest``)."""

    order: tuple[str, ...] = field(default=(), kw_only=True, repr=False)
    rest: Mapping[str, Any] = field(default_factory=dict, kw_only=True, repr=False, hash=False)

    _SPECS: ClassVar[dict[type, dict[str, _Spec]]] = {}

    @classmethod
    def _spec(cls) -> dict[str, _Spec]:
        spec = OpenRecord._SPECS.get(cls)
        if spec is None:
            spec = {
                f.metadata.get("name") or f.name: _Spec(
                    f.name, f.metadata["load"], f.metadata["dump"], f.default
                )
                for f in dataclasses.fields(cls)
                if "load" in f.metadata
            }
            OpenRecord._SPECS[cls] = spec
        return spec

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record of the JSON object ``data`` (TypeError when it is not an object)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        spec = cls._spec()
        values: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for name, raw in data.items():
            s = spec.get(name)
            if s is None:
                rest[name] = raw
                continue
            try:
                values[s.attr] = s.load(raw)
            except (TypeError, ValueError):
                rest[name] = raw  # not of the typed shape: kept as read, the field unset
        return cls(**values, order=tuple(data), rest=rest)

    def updated(self, **changes: Any) -> Self:
        """A copy with ``changes`` (field names), as ``dict.update`` would make it: a key the
        object had keeps its place, a new one comes last, in the order given."""
        names = {s.attr: name for name, s in self._spec().items()}
        new = tuple(names[a] for a in changes if names[a] not in self.order)
        return dataclasses.replace(self, **changes, order=self.order + new)

    def without(self, name: str) -> Self:
        """A copy without the key ``name`` (its field back at the default)."""
        s = self._spec().get(name)
        rest = {k: v for k, v in self.rest.items() if k != name}
        order = tuple(k for k in self.order if k != name)
        if s is None:
            return dataclasses.replace(self, order=order, rest=rest)
        return dataclasses.replace(self, **{s.attr: s.default}, order=order, rest=rest)

    def has(self, name: str) -> bool:
        """Whether the JSON object has the key ``name``."""
        s = self._spec().get(name)
        if name in self.order or name in self.rest:
            return True
        return s is not None and getattr(self, s.attr) != s.default

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the keys read, in their order, then the fields set since."""
        spec = self._spec()
        out: dict[str, Any] = {}
        for name in self.order:
            self._put(out, name, spec.get(name))
        for name, s in spec.items():
            if name not in out and getattr(self, s.attr) != s.default:
                self._put(out, name, s)
        for name, raw in self.rest.items():
            out.setdefault(name, raw)
        return out

    def _put(self, out: dict[str, Any], name: str, s: _Spec | None) -> None:
        if s is not None:
            value = getattr(self, s.attr)
            # A raw value stands while its field is unset; a value set since replaces it.
            if name in self.rest and value == s.default:
                out[name] = self.rest[name]
            else:
                out[name] = s.dump(value)
        elif name in self.rest:
            out[name] = self.rest[name]


# --- loaders: strict, so that what is loaded is written back the same ---------------------------


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a number")
    return value  # an int stays an int: 5 is written 5, not 5.0


def texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("expected a list")
    return tuple(text(v) for v in value)


def mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError("expected an object")
    return value


def mappings(value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("expected a list")
    return tuple(mapping(v) for v in value)


def as_list(value: tuple[Any, ...]) -> list[Any]:
    return list(value)


def optional(load: Load) -> Load:
    """``load`` that lets JSON null through as None."""
    return lambda value: None if value is None else load(value)


def record(cls: type[OpenRecord]) -> Load:
    """Load a nested object as the record ``cls`` (None stays None)."""
    return lambda value: None if value is None else cls.from_dict(mapping(value))


def dump_record(value: OpenRecord | None) -> dict[str, Any] | None:
    return None if value is None else value.to_dict()


def records(cls: type[OpenRecord]) -> Load:
    """Load a list of nested objects as records ``cls``."""
    return lambda value: tuple(cls.from_dict(v) for v in mappings(value))


def dump_records(value: tuple[OpenRecord, ...]) -> list[dict[str, Any]]:
    return [v.to_dict() for v in value]
