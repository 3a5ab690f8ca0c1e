"""The words of the figures, one table per language (``sim/data/labels/<lang>.json``).

Every title, axis label and legend entry a figure writes is a key of the English table
(``en.json``); each other language's table has the same keys (a test checks it) and the same
``{placeholders}``. Names that come with the data (a CA, an intermediate, a certificate's CN)
are proper nouns and stay as they are; words that come with the data but are vocabulary (a
mechanism's name, a deadline marker, a mark such as ``"revoked"``) are looked up by
:func:`term` under ``term.<English text>`` and stay English where a table has no entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from sim.errors import ParameterError

__all__ = ["LANGUAGES", "label", "labels", "term"]

#: The languages figures can be drawn in (``lang=`` of every plot function).
LANGUAGES: tuple[str, ...] = ("en", "ja")


@cache
def labels(lang: str) -> Mapping[str, str]:
    """The label table of ``lang``: key -> template (``str.format`` placeholders).

    Raises:
        ParameterError: ``lang`` is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise ParameterError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    text = resources.files("sim").joinpath("data", "labels", f"{lang}.json").read_text("utf-8")
    table = json.loads(text)
    return {str(k): str(v) for k, v in table.items() if not k.startswith("_")}


def label(key: str, lang: str = "en", /, **fields: Any) -> str:
    """The text of ``key`` in ``lang`` with ``fields`` filled in.

    Args:
        key: A key of the English table, e.g. ``"timeline.title"``.
        lang: The language.
        **fields: Values for the template's placeholders.

    Raises:
        ParameterError: unknown language.
        KeyError: ``key`` is in no table (a typo in a plot function).
    """
    table = labels(lang)
    template = table.get(key)
    if template is None:
        if key not in labels("en"):
            raise KeyError(f"no figure label {key!r} in sim/data/labels/en.json")
        template = labels("en")[key]
    return template.format(**fields)


def term(text: str, lang: str = "en") -> str:
    """A word that comes with the data (``"CRL"``, ``"revoked by R"``) in ``lang``.

    Args:
        text: The English text.
        lang: The language.

    Returns:
        ``lang``'s ``term.<text>`` entry, or ``text`` itself where there is none.
    """
    if lang == "en":
        return text
    return labels(lang).get(f"term.{text}", text)
