"""plotly.js comes from the installed plotly package through static files, alone."""

from __future__ import annotations

import asyncio

import plotly
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from ladder.plotly_finder import PlotlyJsFinder, plotly_js_dir
from tests.site.test_static_files import asgi_get


def test_plotly_js_is_served_as_a_static_file(db: None) -> None:
    # Through the ASGI app uvicorn serves: static files are answered before Django
    # (frgm_site.static_files), and need no login.
    from frgm_site.asgi import application

    reply = asyncio.run(asgi_get(application, static("plotly/plotly.min.js")))
    assert reply.status == 200
    body = reply.body
    assert b"plotly" in body[:500]
    assert body == (plotly_js_dir() / "plotly.min.js").read_bytes()


def test_it_is_the_installed_packages_copy() -> None:
    found = finders.find("plotly/plotly.min.js")
    assert found is not None
    assert str(found).startswith(str(plotly_js_dir()))
    assert plotly.__file__.startswith(str(plotly_js_dir().parent))


def test_nothing_else_of_the_package_is_published() -> None:
    assert finders.find("plotly/widgetbundle.js") is None
    assert finders.find("plotly/datasets/iris.csv.gz") is None
    listed = [path for path, _ in PlotlyJsFinder().list(None)]
    assert listed == ["plotly.min.js"]


def test_the_system_check_passes_when_the_file_is_there() -> None:
    assert PlotlyJsFinder().check() == []
