"""The ``params`` column: ``key=value`` pairs separated by ``;`` (``lo=0;hi=0.66``)."""

from __future__ import annotations

from collections.abc import Mapping

from .spec import FrameworkError


def _where(number: int, piece: str) -> dict[str, str]:
    return {"number": str(number), "piece": repr(piece)}


def parse_params(text: str) -> dict[str, str]:
    """``"a=1; b=2"`` -> ``{"a": "1", "b": "2"}`` (keys and values stripped, order kept).

    Empty pieces (``"a=1;"``) are ignored. A piece without ``=``, an empty key or value
    or a key given twice raises :class:`FrameworkError`.
    """
    if text is None:
        return {}
    if not isinstance(text, str):
        raise FrameworkError(f"params must be text, not {type(text).__name__}",
                             key="params.not_text", params={"type": type(text).__name__})
    result: dict[str, str] = {}
    for number, piece in enumerate(text.split(";"), start=1):
        piece = piece.strip()
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise FrameworkError(f"params piece {number} ({piece!r}) is not of the form key=value",
                                 key="params.not_pair", params=_where(number, piece))
        if not key:
            raise FrameworkError(f"params piece {number} ({piece!r}) has no key before '='",
                                 key="params.no_key", params=_where(number, piece))
        if not value:
            raise FrameworkError(f"params piece {number} ({piece!r}) has no value after '='",
                                 key="params.no_value", params=_where(number, piece))
        if key in result:
            raise FrameworkError(f"params key {key!r} is given twice",
                                 key="params.key_twice", params={"key": repr(key)})
        result[key] = value
    return result


def format_params(params: Mapping[str, str]) -> str:
    """The inverse of :func:`parse_params`: ``{"lo": "0", "hi": "1"}`` -> ``"lo=0;hi=1"``."""
    pieces = []
    for key, value in params.items():
        key, value = str(key).strip(), str(value).strip()
        for part, name in ((key, "key"), (value, "value")):
            if ";" in part or (name == "key" and "=" in part):
                raise FrameworkError(f"params {name} {part!r} contains a separator",
                                     key=f"params.{name}_separator",
                                     params={"part": repr(part)})
            if not part:
                raise FrameworkError(f"params {name} is empty", key=f"params.{name}_empty")
        pieces.append(f"{key}={value}")
    return ";".join(pieces)
