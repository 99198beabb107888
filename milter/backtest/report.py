"""report -- the backtest's ``--json`` document rendered as text and as one HTML file.

Both renderers take the document `Tally.to_json()` returns, so the three formats always tell
the same story.  The HTML report is one self-contained file for an officer: inline CSS
(allowed by its own Content-Security-Policy through the style's sha256, nothing else is),
charts as inline SVG drawn here with presentation attributes only, no scripts, no fonts, no
images, no links to fetch.  Every value from the document is HTML-escaped.

Refuses: nothing; it shows only what the document holds (masked samples, counts, rule ids,
sender addresses, recipient domains, message ids and source positions).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape
from typing import Any

from milter.backtest.sources import KIND_NAMES

EFFECT_LABELS = {
    "held": "held",
    "refused": "refused",
    "flagged": "flagged",
    "routed": "routed secure",
    "monitor": "monitor (would act)",
    "recipient_refused": "recipients refused",
    "redirected": "redirected",
    "tempfail": "tempfail",
}
DECISION_COLOURS = {
    "accept": "#4c9a5f",
    "quarantine": "#d08c2f",
    "reject": "#c0392b",
    "tempfail": "#7f8c8d",
    "discard": "#555555",
}
CONFIDENCE_COLOURS = {"high": "#c0392b", "medium": "#d08c2f", "low": "#9aa5b1"}


def _finding(f: dict[str, Any]) -> str:
    text = f"{f['detector']} x{f['count']} ({f['confidence']})"
    if f["samples"]:
        text += f" e.g. {', '.join(f['samples'])}"
    if f.get("reason"):
        text += f" [{f['reason']}]"
    if f["where"]:
        text += f" in {', '.join(f['where'])}"
    return text


_KINDS: dict[str, str] = {str(k): v for k, v in KIND_NAMES.items()}


def _kind(kind: str) -> str:
    return _KINDS.get(kind, kind)


def _effects(row: dict[str, Any]) -> list[str]:
    return [f"{EFFECT_LABELS[e]} {row[e]}" for e in EFFECT_LABELS if row.get(e)]


def as_text(doc: dict[str, Any]) -> str:
    """The report for a terminal."""
    pol = doc["policy"]
    lines = [
        f"backtest of {doc['messages']} message(s) with {pol['source']} "
        f"({pol['organisation']}, sha256 {pol['sha256'][:12]})"
    ]
    for s in doc["sources"]:
        lines.append(f"  source: {s['path']} ({_kind(s['kind'])}): {s['messages']} message(s)")
    decisions = ", ".join(f"{a} {n}" for a, n in doc["decisions"].items() if n)
    lines.append(f"decisions: {decisions or 'none'}; unreadable {doc['unreadable']}")
    if doc["dns_rules_skipped"]:
        lines.append(
            f"not evaluated: DNS rules ({', '.join(doc['dns_rules_skipped'])}): a backtest "
            "makes no DNS lookups"
        )
    lines.append("\nper rule (messages; what the rule did or would do)")
    if not doc["rules"]:
        lines.append("  no rule acted on any message")
    for row in doc["rules"]:
        lines.append(f"  {row['rule']:<28} {row['messages']:6d}  {'; '.join(_effects(row))}")
    lines.append("\nfindings per detector (messages by best confidence; distinct values)")
    if not doc["detectors"]:
        lines.append("  nothing found")
    for d in doc["detectors"]:
        lines.append(
            f"  {d['detector']:<28} {d['messages']:6d}  high {d['high']}, medium {d['medium']}, "
            f"low {d['low']}; {d['values']} value(s)"
        )
    estimate = " (estimated: many distinct)" if doc["top_estimated"] else ""
    lines.append(f"\nsenders most affected (messages a rule acted on){estimate}")
    lines += [f"  {r['messages']:6d}  {r['sender']}" for r in doc["top_senders"]] or ["  none"]
    lines.append(f"\nrecipient domains most affected{estimate}")
    lines += [f"  {r['messages']:6d}  {r['domain']}" for r in doc["top_recipient_domains"]] or [
        "  none"
    ]
    lines.append("\nsamples per rule (findings masked)")
    for row in doc["rules"]:
        lines.append(f"  {row['rule']}:")
        for s in row["samples"]:
            ident = s["message_id"] or "(no Message-ID)"
            lines.append(f"    {ident}  at {s['position']}: {s['action']}")
            lines += [f"      {_finding(f)}" for f in s["findings"]]
    if doc["unreadable"]:
        lines.append(f"\nunreadable messages: {doc['unreadable']}")
        for e in doc["errors"]:
            ident = f" {e['message_id']}" if e["message_id"] else ""
            lines.append(f"  {e['position']}{ident}: {e['reason']}")
        if doc["unreadable"] > len(doc["errors"]):
            lines.append(f"  ... and {doc['unreadable'] - len(doc['errors'])} more")
    return "\n".join(lines)


# -- HTML -----------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1d2733;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #d5dbe1;padding-bottom:.2rem}
.meta{color:#52606d;font-size:.9rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85rem;word-break:break-all}
details{margin:.4rem 0}summary{cursor:pointer;font-weight:600}
ul.samples{margin:.3rem 0 .8rem;padding-left:1.2rem}
svg{display:block;margin:.6rem 0;max-width:100%;height:auto}
.note{background:#f5f7fa;border-left:4px solid #9aa5b1;padding:.4rem .8rem}
""".strip()


def _bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    legend: Sequence[tuple[str, str]] = (),
) -> str:
    """A horizontal bar chart: one bar per row, made of (value, colour) segments."""
    label_w, bar_w, row_h, top = 230, 420, 24, 30 if legend else 8
    height = top + row_h * max(1, len(rows)) + 8
    width = label_w + bar_w + 70
    peak = max((sum(v for v, _ in segs) for _, segs in rows), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    x = 0
    for name, colour in legend:
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="16" font-size="12" fill="#1d2733">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    if not rows:
        out.append(f'<text x="0" y="{top + 16}" font-size="13" fill="#52606d">none</text>')
    for i, (label, segs) in enumerate(rows):
        y = top + i * row_h
        shown = label if len(label) <= 34 else label[:33] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="13" text-anchor="end" '
            f'fill="#1d2733">{escape(shown)}</text>'
        )
        bx = float(label_w)
        for value, colour in segs:
            w = bar_w * value / peak
            if value:
                w = max(w, 2.0)
                out.append(
                    f'<rect x="{bx:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="{colour}"/>'
                )
            bx += w
        total = sum(v for v, _ in segs)
        out.append(
            f'<text x="{bx + 6:.1f}" y="{y + 16}" font-size="13" fill="#1d2733">{total}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int]) -> str:
    cells = "".join(
        f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        tds = "".join(
            f'<td class="n">{escape(str(v))}</td>' if i in numeric else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def as_html(doc: dict[str, Any]) -> str:
    """The self-contained report (see the module docstring)."""
    pol = doc["policy"]
    dec = doc["decisions"]
    title = f"Postwarden backtest: {pol['organisation']}"
    flagged = sum(r["flagged"] + r["routed"] for r in doc["rules"])
    monitor = sum(r["monitor"] for r in doc["rules"])
    cards = [
        ("messages", doc["messages"]),
        ("delivered", dec["accept"]),
        ("held", dec["quarantine"]),
        ("refused", dec["reject"]),
        ("flagged (rule hits)", flagged),
        ("monitor hits", monitor),
        ("unreadable", doc["unreadable"]),
    ]
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{doc["messages"]} message(s) run through policy '
        f"<code>{escape(pol['source'])}</code> (sha256 <code>{escape(pol['sha256'][:12])}</code>)"
        " with the milter's own scanner and decision.</p>",
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{n}</b>{escape(label)}</div>' for label, n in cards)
        + "</div>",
        _table(
            ["source", "kind", "messages"],
            [(s["path"], _kind(s["kind"]), s["messages"]) for s in doc["sources"]],
            [2],
        ),
    ]
    if doc["dns_rules_skipped"]:
        parts.append(
            '<p class="note">Not evaluated: the DNS rules ('
            + escape(", ".join(doc["dns_rules_skipped"]))
            + "). A backtest of old mail makes no DNS lookups.</p>"
        )
    parts.append("<h2>Decisions</h2>")
    parts.append(
        _bars(
            "Messages per decision",
            [(a, [(n, DECISION_COLOURS[a])]) for a, n in dec.items() if n],
        )
    )
    parts.append("<h2>Per rule</h2>")
    parts.append(
        _bars(
            "Messages per rule",
            [(r["rule"], [(r["messages"], "#3d6fa8")]) for r in doc["rules"]],
        )
    )
    effect_keys = list(EFFECT_LABELS)
    parts.append(
        _table(
            ["rule", "messages", *(EFFECT_LABELS[e] for e in effect_keys)],
            [(r["rule"], r["messages"], *(r[e] for e in effect_keys)) for r in doc["rules"]],
            list(range(1, 2 + len(effect_keys))),
        )
    )
    parts.append("<h2>Findings per detector</h2>")
    parts.append(
        _bars(
            "Messages per detector, by best confidence",
            [
                (d["detector"], [(d[c], CONFIDENCE_COLOURS[c]) for c in ("high", "medium", "low")])
                for d in doc["detectors"]
            ],
            legend=list(CONFIDENCE_COLOURS.items()),
        )
    )
    parts.append(
        _table(
            ["detector", "messages", "high", "medium", "low", "distinct values"],
            [
                (d["detector"], d["messages"], d["high"], d["medium"], d["low"], d["values"])
                for d in doc["detectors"]
            ],
            [1, 2, 3, 4, 5],
        )
    )
    estimate = " (estimated: many distinct)" if doc["top_estimated"] else ""
    parts.append(f"<h2>Most affected{escape(estimate)}</h2>")
    parts.append(
        _bars(
            "Recipient domains of messages a rule acted on",
            [(r["domain"], [(r["messages"], "#8e5ea2")]) for r in doc["top_recipient_domains"]],
        )
    )
    parts.append(
        _table(
            ["sender", "messages"],
            [(r["sender"], r["messages"]) for r in doc["top_senders"]],
            [1],
        )
    )
    parts.append("<h2>Samples per rule</h2>")
    parts.append(
        "<p>Message ids and where they are, with what was found (values masked), so you can "
        "judge whether a rule holds ordinary mail. Open a message in your archive to read it.</p>"
    )
    for r in doc["rules"]:
        items = []
        for s in r["samples"]:
            found = "".join(f"<li><code>{escape(_finding(f))}</code></li>" for f in s["findings"])
            items.append(
                f"<li><code>{escape(s['message_id'] or '(no Message-ID)')}</code> at "
                f"<code>{escape(s['position'])}</code>: {escape(s['action'])}"
                + (f"<ul>{found}</ul>" if found else "")
                + "</li>"
            )
        parts.append(
            f"<details><summary>{escape(r['rule'])} ({r['messages']})</summary>"
            f'<ul class="samples">{"".join(items)}</ul></details>'
        )
    if doc["unreadable"]:
        parts.append(f"<h2>Unreadable messages ({doc['unreadable']})</h2>")
        parts.append(
            _table(
                ["position", "Message-ID", "reason"],
                [(e["position"], e["message_id"] or "", e["reason"]) for e in doc["errors"]],
                [],
            )
        )
    body = "\n".join(parts)
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; form-action 'none'"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
