"""Runbooks: Markdown files in ``ops/runbooks/`` with a small front matter.

Each file starts with::

    ---
    title: Feed stalled
    alarms:
      - feed-stalled-spot-risk
    severity: critical
    owner: frgm-platform
    ---

``alarms`` may also be written ``alarms: []`` (a procedure no alarm names).
The parser is deliberately strict (no YAML dependency, no surprises): an
unknown, missing or repeated key, a bad severity or a malformed alarm id is
a ``RunbookError`` naming the file. Rendering goes Markdown -> HTML -> nh3, so
whatever HTML a runbook (or a crafted string) carries, only a small safe set
of tags and attributes reaches a browser.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import markdown
import nh3

from ops.alarms import ALARMS_BY_ID

RUNBOOK_DIR = Path(__file__).resolve().with_name("runbooks")
SEVERITIES = ("critical", "warning", "info")
KEYS = ("title", "alarms", "severity", "owner")
FENCE = "---"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LINE = re.compile(r"^(?P<key>[a-z_]+):(?:\s+(?P<value>.*?))?\s*$")
_ITEM = re.compile(r"^\s+-\s+(?P<value>\S.*?)\s*$")

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "kbd", "li", "ol", "p", "pre",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},  # fenced_code's language-sh
    "div": {"class"},  # toc's wrapper
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    **{tag: {"id"} for tag in _HEADINGS},  # toc's anchors
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


class RunbookError(ValueError):
    """A runbook file that does not follow the format; the message names the file."""


@dataclass(frozen=True)
class Runbook:
    slug: str  # the file name without .md
    title: str
    alarms: tuple[str, ...]
    severity: str
    owner: str
    body: str  # Markdown, front matter removed


def runbook_parse(text: str, *, name: str) -> Runbook:
    """One runbook from its file text; ``name`` is the file name (``feed-stalled.md``)."""
    slug = name.removesuffix(".md")
    if not name.endswith(".md") or not _SLUG.match(slug):
        raise RunbookError(f"{name}: a runbook file is named like 'feed-stalled.md'")
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise RunbookError(f"{name}: must start with a '---' line (front matter)")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == FENCE)
    except StopIteration:
        raise RunbookError(f"{name}: front matter has no closing '---' line") from None
    fields = _front_matter(lines[1:end], name=name)
    return Runbook(
        slug=slug,
        title=str(fields["title"]),
        alarms=tuple(cast(list[str], fields["alarms"])),  # checked by _front_matter_check
        severity=str(fields["severity"]),
        owner=str(fields["owner"]),
        body="\n".join(lines[end + 1 :]).strip() + "\n",
    )


def _front_matter(lines: list[str], *, name: str) -> dict[str, object]:
    fields: dict[str, object] = {}
    current_list: list[str] | None = None
    for number, line in enumerate(lines, 2):
        if not line.strip():
            continue
        if (item := _ITEM.match(line)) and current_list is not None:
            current_list.append(item["value"])
            continue
        match = _LINE.match(line)
        if not match:
            raise RunbookError(f"{name}: line {number}: expected 'key: value', got {line!r}")
        key_name, value = match["key"], match["value"] or ""
        if key_name not in KEYS:
            raise RunbookError(f"{name}: line {number}: unknown key {key_name!r} (use {KEYS})")
        if key_name in fields:
            raise RunbookError(f"{name}: line {number}: {key_name!r} given twice")
        current_list = None
        if key_name == "alarms":
            if value not in ("", "[]"):
                raise RunbookError(
                    f"{name}: line {number}: list alarms on their own '  - id' lines, "
                    "or write 'alarms: []'"
                )
            current_list = []
            fields["alarms"] = current_list
        else:
            fields[key_name] = _unquote(value)
    return _front_matter_check(fields, name=name)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _front_matter_check(fields: dict[str, object], *, name: str) -> dict[str, object]:
    missing = [k for k in KEYS if k not in fields]
    if missing:
        raise RunbookError(f"{name}: front matter misses {', '.join(missing)}")
    for text_key in ("title", "owner"):
        if not fields[text_key]:
            raise RunbookError(f"{name}: {text_key} is empty")
    if fields["severity"] not in SEVERITIES:
        raise RunbookError(
            f"{name}: severity {fields['severity']!r} is not one of {', '.join(SEVERITIES)}"
        )
    alarms = fields["alarms"]
    assert isinstance(alarms, list)
    for alarm in alarms:
        if not _SLUG.match(alarm):
            raise RunbookError(f"{name}: alarm id {alarm!r} is not like 'feed-stalled-vtexp'")
    if len(set(alarms)) != len(alarms):
        raise RunbookError(f"{name}: an alarm id is listed twice")
    return fields


@functools.cache
def _load(directory: Path) -> tuple[Runbook, ...]:
    paths = sorted(directory.glob("*.md"))
    return tuple(runbook_parse(p.read_text(encoding="utf-8"), name=p.name) for p in paths)


def runbooks_all(*, directory: Path = RUNBOOK_DIR) -> list[Runbook]:
    """Every runbook, by slug. Files are read once per process (``runbooks_reload``)."""
    return list(_load(directory))


def runbooks_reload() -> None:
    """Forget the files read so far (tests; a long-running dev server)."""
    _load.cache_clear()
    _render.cache_clear()


def runbook_get(slug: str) -> Runbook | None:
    return next((r for r in runbooks_all() if r.slug == slug), None)


def runbooks_for_alarm(alarm_id: str) -> list[Runbook]:
    """The runbooks that name ``alarm_id``, by slug."""
    return [r for r in runbooks_all() if alarm_id in r.alarms]


def alarm_runbooks(alarm_id: str) -> list[Runbook]:
    """Every runbook on-call may need for an alarm: the one its definition names first,
    then each other runbook that names the alarm (a stalled TT feed may be the TT API)."""
    alarm = ALARMS_BY_ID.get(alarm_id)
    own = runbook_get(alarm.runbook) if alarm else None
    others = [r for r in runbooks_for_alarm(alarm_id) if own is None or r.slug != own.slug]
    return [own, *others] if own else others


def runbooks_search(query: str, *, runbooks: list[Runbook] | None = None) -> list[Runbook]:
    """Runbooks holding every word of ``query`` (case-insensitive) in title or body.

    Ranked: more words in the title first, then more occurrences in the body,
    then by title. An empty query finds nothing.
    """
    terms = query.lower().split()
    if not terms:
        return []
    scored: list[tuple[int, int, str, Runbook]] = []
    for runbook in runbooks_all() if runbooks is None else runbooks:
        title, body = runbook.title.lower(), runbook.body.lower()
        if not all(term in title or term in body for term in terms):
            continue
        in_title = sum(term in title for term in terms)
        in_body = sum(body.count(term) for term in terms)
        scored.append((-in_title, -in_body, runbook.title.lower(), runbook))
    scored.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in scored]


def runbook_html(runbook: Runbook) -> str:
    """The runbook's body as sanitized HTML (safe to mark safe in a template)."""
    return _render(runbook.body)


@functools.lru_cache(maxsize=64)
def _render(text: str) -> str:
    # A fresh converter per call: markdown.Markdown keeps state and is not thread-safe.
    converter = markdown.Markdown(extensions=["fenced_code", "tables", "toc"])
    return nh3.clean(
        converter.convert(text),
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
