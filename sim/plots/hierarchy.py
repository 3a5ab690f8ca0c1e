"""Hierarchies drawn for the lessons: a chain of real certificates, and the 2020 subtrees.

``plot_certificate_tree`` draws a :class:`sim.pki.Hierarchy` (built certificates) as boxes,
issuer above subject; ``plot_kinds_by_ca`` draws :func:`sim.intermediates.kinds_by_ca`;
``plot_subtree`` zooms a :class:`sim.blast.BlastRadius` onto one CA's intermediates.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch, Patch

from sim.blast import BlastRadius
from sim.errors import ParameterError
from sim.loader import OID_OCSP_SIGNING
from sim.pki import Hierarchy, IssuedCert
from sim.plots.labels import label, term
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["KIND_COLOURS", "plot_certificate_tree", "plot_kinds_by_ca", "plot_subtree"]

#: Colours of :data:`sim.intermediates.PRIMARY_KINDS` in :func:`plot_kinds_by_ca`.
KIND_COLOURS: dict[str, str] = {
    "tls": PALETTE["affected"],
    "smime": PALETTE["accent"],
    "other": PALETTE["warning"],
    "unknown": PALETTE["neutral"],
}

_BOX_W, _BOX_H = 0.8, 0.5


def _common_name(cert: IssuedCert) -> str:
    names = cert.spec.subject.get("CN") or cert.name
    return str(names)


def _ekus(cert: IssuedCert) -> list[str]:
    return list(cert.spec.eku_names)


def _has_ocsp_signing(cert: IssuedCert) -> bool:
    return any(e in ("OCSPSigning", OID_OCSP_SIGNING) for e in _ekus(cert))


def _layout(hierarchy: Hierarchy) -> dict[str, tuple[float, float]]:
    """x: leaves of the tree spread evenly, parents centred above; y: minus the depth."""
    pos: dict[str, tuple[float, float]] = {}
    next_x = [0.0]

    def place(name: str, depth: int) -> float:
        kids = [c.name for c in hierarchy.children(name)]
        if kids:
            xs = [place(k, depth + 1) for k in kids]
            x = (min(xs) + max(xs)) / 2
        else:
            x = next_x[0]
            next_x[0] += 1.0
        pos[name] = (x, -float(depth))
        return x

    for cert in hierarchy:
        if cert.spec.issuer is None:
            place(cert.name, 0)
    return pos


def _mark_colour(mark: str) -> tuple[str, str]:
    """The fill of a mark and the legend key saying what the fill means."""
    key = mark.lower()
    if any(w in key for w in ("revoked", "forge", "broken", "fail")):
        return PALETTE["affected"], "tree.legend.bad"
    if "expired" in key:
        return PALETTE["expired"], "tree.legend.expired"
    if key in ("ok", "good", "valid", "verified"):
        return PALETTE["replaced"], "tree.legend.ok"
    return PALETTE["warning"], "tree.legend.other"


def _distinct_names(hierarchy: Hierarchy) -> dict[str, str]:
    """Certificate name -> the first line of its box: its CN, told apart where CNs repeat.

    Two certificates with one CN are usually an original and its re-issue with the same key
    (``CertSpec.key_from``), as ICA-A and the ICA-A re-issued without OCSPSigning in 2020.
    """
    names = {c.name: _common_name(c) for c in hierarchy}
    counts: dict[str, int] = {}
    for cn in names.values():
        counts[cn] = counts.get(cn, 0) + 1
    reissued = {c.spec.key_from for c in hierarchy if c.spec.key_from}
    out = {}
    for cert in hierarchy:
        cn = names[cert.name].replace("{", "{{").replace("}", "}}")
        shared = counts[names[cert.name]] > 1
        if shared and names.get(cert.spec.key_from or "") == names[cert.name]:
            out[cert.name] = f"{cn} ({{reissue}})"
        elif shared and cert.name in reissued:
            out[cert.name] = f"{cn} ({{original}})"
        elif shared:
            out[cert.name] = f"{cn} ({cert.name})"
        else:
            out[cert.name] = cn
    return out


def plot_certificate_tree(
    hierarchy: Hierarchy,
    *,
    marks: Mapping[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    lang: str = "en",
) -> Axes:
    """Boxes for the certificates of a built hierarchy, issuer above subject, with arrows.

    Each box shows the subject CN and the EKUs; a CA certificate with id-kp-OCSPSigning has a
    thick vermilion edge (it can answer OCSP for its siblings, RFC 6960 4.2.2.2). Where two
    certificates share a CN (an original and its re-issue with the same key) the boxes say
    which is which. ``marks`` colours chosen boxes and writes the mark under them. A legend
    explains every fill and the thick edge that the figure draws.

    Args:
        hierarchy: Built certificates (``sim.pki.build_hierarchy``).
        marks: Certificate name -> a short mark such as ``"revoked"``, ``"forges OCSP"``,
            ``"expired"`` or ``"ok"``; the box is filled in a colour for the mark (revoked,
            forges and broken: "affected"; expired: "expired"; ok: "replaced"; other:
            "warning").
        title: The title (default: the hierarchy's name and how to read the figure).
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`); a caller's
            ``title`` and ``marks`` are looked up as terms (:func:`sim.plots.labels.term`).

    Returns:
        The axes; each box patch's ``get_gid()`` is the certificate's name.

    Raises:
        ParameterError: a mark names no certificate of the hierarchy.
    """
    marks = dict(marks or {})
    unknown = sorted(set(marks) - set(hierarchy.certs))
    if unknown:
        raise ParameterError(f"marks must name certificates of the hierarchy, got {unknown}")
    ax = new_axes(ax)
    pos = _layout(hierarchy)
    first_lines = _distinct_names(hierarchy)
    words = {"reissue": label("tree.reissue", lang), "original": label("tree.original", lang)}
    for cert in hierarchy:
        if cert.spec.issuer is not None:
            (x0, y0), (x1, y1) = pos[cert.spec.issuer], pos[cert.name]
            arrow = {"arrowstyle": "->", "color": PALETTE["neutral"], "lw": 1.5}
            ax.annotate("", xy=(x1, y1 + _BOX_H / 2), xytext=(x0, y0 - _BOX_H / 2),
                        arrowprops=arrow)  # fmt: skip
    legend: dict[str, Patch] = {}
    for cert in hierarchy:
        x, y = pos[cert.name]
        mark = marks.get(cert.name)
        fill, meaning = ("white", "tree.legend.plain") if mark is None else _mark_colour(mark)
        # The fill is light (alpha on the face only) so that the thick edge stays vivid.
        face = to_rgba(fill, 0.35 if mark else 1.0)
        dangerous = cert.spec.is_ca and _has_ocsp_signing(cert)
        edge = PALETTE["affected"] if dangerous else PALETTE["model"]
        box = FancyBboxPatch(
            (x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H, boxstyle="round,pad=0.02",
            facecolor=face, edgecolor=edge, lw=4 if dangerous else 1.2, gid=cert.name,
        )  # fmt: skip
        ax.add_patch(box)
        legend.setdefault(meaning, Patch(facecolor=face, edgecolor=PALETTE["model"], lw=1.2,
                                         label=label(meaning, lang)))  # fmt: skip
        if dangerous:
            legend.setdefault("tree.legend.dangerous", Patch(
                facecolor="white", edgecolor=edge, lw=4, label=label("tree.legend.dangerous", lang)
            ))  # fmt: skip
        ekus = ", ".join(_ekus(cert)) or label("tree.no_eku", lang)
        kind = term(cert.spec.kind, lang)
        text = f"{first_lines[cert.name].format(**words)}\n[{kind}]\n{ekus}"
        if mark:
            text += f"\n>> {term(mark, lang)}"
        ax.text(x, y, text, ha="center", va="center", fontsize=9, wrap=True)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if len(legend) > 1:
        ax.legend(handles=list(legend.values()), loc="upper left", bbox_to_anchor=(0.0, 0.0),
                  ncol=min(len(legend), 3), frameon=False, fontsize=10)  # fmt: skip
    return style_axes(
        ax,
        title=term(title, lang) if title else label("tree.title", lang, name=hierarchy.name),
        xlabel="",
        ylabel="",
        lang=lang,
    )


def plot_kinds_by_ca(
    table: pd.DataFrame, *, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Stacked horizontal bars: intermediates per CA, split by what they issue.

    Args:
        table: :func:`sim.intermediates.kinds_by_ca`'s DataFrame.
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes; one bar container per kind, labelled with the kind and its total.

    Raises:
        ParameterError: a kind column is missing.
    """
    missing = [k for k in KIND_COLOURS if k not in table.columns]
    if missing:
        raise ParameterError(f"table must have the columns {list(KIND_COLOURS)}; missing {missing}")
    ax = new_axes(ax)
    names = [str(n) for n in table.index][::-1]
    left = [0.0] * len(names)
    for kind, colour in KIND_COLOURS.items():
        values = [float(v) for v in table[kind].to_numpy()][::-1]
        ax.barh(names, values, left=left, color=colour,
                label=f"{label(f'kinds.kind.{kind}', lang)} ({int(sum(values))})")  # fmt: skip
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:.0f}", va="center", fontsize=10)
    ax.legend(frameon=False, loc="lower right", title=label("kinds.legend", lang))
    return style_axes(
        ax,
        title=label("kinds.title", lang, count=int(sum(left))),
        xlabel=label("kinds.xlabel", lang),
        ylabel="",
        lang=lang,
    )


def plot_subtree(
    blast: BlastRadius, ca: str, *, ax: Axes | None = None, top: int = 20, lang: str = "en"
) -> Axes:
    """One CA's intermediates: simulated leaves (light) and those that break (dark).

    The leaves are a simulated population under the real 2020 hierarchy; the title says so.

    Args:
        blast: A blast-radius summary (``sim.blast.blast_radius``).
        ca: The CA (as in ``blast.by_intermediate``).
        ax: Axes to draw on (default: a new figure's).
        top: Most intermediates shown (largest first).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes; the light bars carry ``gid`` = the intermediate's name.

    Raises:
        ParameterError: ``ca`` has no populated intermediate in ``blast``.
    """
    rows = [r for r in blast.by_intermediate if r.ca == ca]
    if not rows:
        known = sorted({r.ca for r in blast.by_intermediate})
        raise ParameterError(f"ca must be one of {known}, got {ca!r}")
    ax = new_axes(ax)
    shown = sorted(rows, key=lambda r: -r.leaves)[:top][::-1]
    labels = [r.name if len(r.name) <= 48 else r.name[:45] + "..." for r in shown]
    for y, r in enumerate(shown):
        colour = PALETTE["affected"] if r.affected else PALETTE["neutral"]
        ax.barh(y, r.leaves, color=colour, alpha=0.35, gid=r.name)
        ax.barh(y, r.breaking, color=colour)
        ax.text(r.leaves, y, f" {r.breaking:,.0f} / {r.leaves:,.0f}", va="center", fontsize=9)
    ax.set_yticks(range(len(shown)), labels, fontsize=9)
    leaves = sum(r.leaves for r in rows)
    breaking = sum(r.breaking for r in rows)
    used = {r.affected for r in shown}
    handles = [
        Patch(facecolor=PALETTE["affected"], label=label("subtree.legend.breaking", lang)),
        Patch(facecolor=PALETTE["affected"], alpha=0.35,
              label=label("subtree.legend.affected", lang)),
    ] if True in used else []  # fmt: skip
    if False in used:
        handles += [
            Patch(facecolor=PALETTE["neutral"], label=label("subtree.legend.unaffected", lang)),
            Patch(facecolor=PALETTE["neutral"], alpha=0.35,
                  label=label("subtree.legend.unaffected_leaves", lang)),
        ]  # fmt: skip
    # Empty rows under the smallest bar hold the legend, clear of the bars' labels.
    ncol = 2 if len(handles) > 2 else 1
    spare = 0.9 * (len(handles) // ncol) + 0.2
    ax.set_ylim(-0.6 - spare, len(shown) - 0.4)
    ax.legend(handles=handles, loc="lower left", ncol=ncol, frameon=False, fontsize=10)
    more = label("subtree.more", lang, shown=len(shown)) if len(rows) > len(shown) else ""
    return style_axes(
        ax,
        title=label("subtree.title", lang, ca=ca, count=len(rows), more=more,
                    breaking=f"{breaking:,.0f}", leaves=f"{leaves:,.0f}", day=blast.day),
        xlabel=label("subtree.xlabel", lang),
        ylabel="",
        lang=lang,
    )  # fmt: skip
