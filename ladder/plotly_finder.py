"""Serve plotly.js from the installed ``plotly`` package as ``plotly/plotly.min.js``.

The package's ``package_data`` folder also holds a 4.8 MB widget bundle, sample
data sets and templates; a plain STATICFILES_DIRS entry would publish (and
collectstatic would bake into the image) all of it. This finder exposes the
one file the analytics page loads, so no CDN and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "plotly.min.js"
PREFIX = "plotly"
STATIC_PATH = f"{PREFIX}/{PLOTLY_JS}"
# plotly.js (4.1.1 in the pinned plotly) styles a chart by creating empty <style>
# elements and filling them through the CSSOM, and injects maplibre's CSS once as
# text. The site's style-src refuses any inline <style>; these hashes let exactly
# those two texts through, on the analytics page only (ladder.analytics_views).
# A plotly upgrade that changes them fails tests/browser/test_content_security_policy.py.
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # "" (empty)
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # maplibre-gl.css
]


def plotly_js_dir() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data"


class _PrefixedStorage(FileSystemStorage):
    # collectstatic files what a finder's storage holds under its ``prefix``, as
    # Django's own app-directory storage declares.
    prefix: str | None = None


class PlotlyJsFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = _PrefixedStorage(location=plotly_js_dir())
        self.storage.prefix = PREFIX  # read by collectstatic

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if (plotly_js_dir() / PLOTLY_JS).is_file():
            return []
        return [
            Error(
                f"{PLOTLY_JS} is missing from the installed plotly package",
                hint="Reinstall plotly (pip install -c constraints.txt plotly).",
                id="frgm.E020",
            )
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if path != STATIC_PATH:
            return []  # like Django's finders: an empty list, which find() skips
        found = str(plotly_js_dir() / PLOTLY_JS)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield PLOTLY_JS, self.storage
