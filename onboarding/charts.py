"""Dashboard charts as SVG images (data: URIs), drawn server-side with matplotlib.

Images keep the admin inside its content security policy (no script, no inline style) and
render the same in every browser. Text inside the charts is vendor names, codes and numbers;
the translated titles are in the page around them.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

COLORS = {
    "approved": "#2e7d32",
    "rejected": "#c62828",
    "needs_review": "#f9a825",
    "processing": "#1565c0",
    "submitted": "#90a4ae",
}


def _data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    FigureCanvasSVG(fig).print_svg(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def _figure(width=7.0, height=2.8) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("tight")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def stacked_days(days, series: dict[str, list[int]]) -> str:
    fig, ax = _figure()
    bottom = [0] * len(days)
    for status, counts in series.items():
        if any(counts):
            ax.bar(days, counts, bottom=bottom, label=status, color=COLORS.get(status), width=0.8)
            bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_ylabel("cases")
    if any(bottom):
        ax.legend(fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return _data_uri(fig)


def histogram(scores, *, threshold=None, title="", scale="") -> str:
    return _data_uri(histogram_figure(scores, threshold=threshold, title=title, scale=scale))


def histogram_figure(scores, *, threshold=None, title="", scale="") -> Figure:
    # As wide as the other charts: the page scales each to its column, so the lettering matches theirs.
    fig, ax = _figure()
    span = list(scores) + ([threshold] if threshold is not None else [])  # the threshold stays in view
    low, high = min(span), max(span)
    ax.hist(scores, bins=30, range=(low, high if high > low else low + 1), color="#5c6bc0")
    if threshold is not None:
        ax.axvline(threshold, color="#c62828", linestyle="--", linewidth=1.5)
        ax.annotate(
            f"threshold {threshold:g}",
            xy=(threshold, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color="#c62828",
            fontsize=8,
        )
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(scale[:60], fontsize=8)
    ax.set_ylabel("checks", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole checks, never 0.25 of one
    ax.tick_params(labelsize=8)
    return fig


def latency_bars(rows: list[dict]) -> str:
    fig, ax = _figure(height=max(1.6, 0.45 * len(rows) + 0.8))
    labels = [f"{r['vendor']} {r['kind']}" for r in rows]
    positions = range(len(rows))
    for offset, (key, color) in enumerate((("p50", "#90caf9"), ("p95", "#1e88e5"), ("p99", "#0d47a1"))):
        ax.barh(
            [p + offset * 0.27 for p in positions], [r[key] or 0 for r in rows], height=0.27, color=color, label=key
        )
    ax.set_yticks([p + 0.27 for p in positions], labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms")
    ax.legend(fontsize=8, frameon=False)
    return _data_uri(fig)
