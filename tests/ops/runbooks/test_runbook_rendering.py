"""Runbooks render to sanitized HTML: Markdown features survive, active content does not."""

from __future__ import annotations

from ops.runbooks import Runbook, runbook_html, runbooks_all

HOSTILE = """
# Heading <script>alert('title')</script>

<script>document.cookie</script>

<img src="x.png" onerror="alert(1)">
<p onclick="steal()" style="color: red; background: url(javascript:alert(2))">styled</p>
<a href="javascript:alert(3)">click me</a>
[markdown link](javascript:alert(4))
<iframe src="https://evil.example/"></iframe>
<svg onload="alert(5)"><circle r="1"/></svg>
<a href="https://docs.aws.amazon.com/" onmouseover="alert(6)">AWS docs</a>
<form action="https://evil.example/"><input name="password"></form>
"""

FEATURES = """
## Check the queue

```sh
aws sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names All
```

| feed | prefix |
|---|---|
| spot-risk | `actant/spot-risk/` |
| vtexp | `actant/vtexp/` |

Inline `code` and a [link](https://aws.amazon.com/) and <kbd>Ctrl</kbd>-C.
"""


def _runbook(body: str) -> Runbook:
    return Runbook(
        slug="crafted", title="Crafted", alarms=(), severity="info", owner="tests", body=body
    )


def test_it_strips_scripts_handlers_javascript_urls_iframes_and_styles() -> None:
    html = runbook_html(_runbook(HOSTILE)).lower()
    for forbidden in (
        "<script",
        "alert(",
        "document.cookie",
        "onerror",
        "onclick",
        "onload",
        "onmouseover",
        "javascript:",
        "<iframe",
        "style=",
        "<svg",
        "<form",
        "<input",
        "<img",
    ):
        assert forbidden not in html, forbidden
    assert "styled" in html  # the text stays, the attributes go
    assert "click me" in html
    assert 'href="https://docs.aws.amazon.com/"' in html


def test_links_get_noopener() -> None:
    html = runbook_html(_runbook("[AWS](https://aws.amazon.com/)"))
    assert 'rel="noopener noreferrer"' in html


def test_code_blocks_tables_and_heading_anchors_render() -> None:
    html = runbook_html(_runbook(FEATURES))
    assert '<pre><code class="language-sh">aws sqs get-queue-attributes' in html
    assert "&quot;$QUEUE_URL&quot;" in html or '"$QUEUE_URL"' in html
    assert "<table>" in html
    assert "<th>feed</th>" in html
    assert "<td>spot-risk</td>" in html
    assert "<code>actant/spot-risk/</code>" in html
    assert '<h2 id="check-the-queue">Check the queue</h2>' in html
    assert "<kbd>Ctrl</kbd>" in html


def test_html_inside_a_code_block_is_shown_not_run() -> None:
    html = runbook_html(_runbook("```\n<script>alert(1)</script>\n```"))
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_every_repo_runbook_renders_with_its_code_and_tables() -> None:
    for runbook in runbooks_all():
        html = runbook_html(runbook)
        assert "<h2" in html, runbook.slug
        assert "<script" not in html, runbook.slug
        if "```" in runbook.body:
            assert "<pre><code" in html, runbook.slug
