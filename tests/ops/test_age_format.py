"""Ages on the ops pages read as a person says them."""

import pytest

from ops.templatetags.ops_format import age
from ops.wording import duration_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.04, "0.0 s"),
        (4.25, "4.2 s"),
        (119.9, "119.9 s"),
        (120, "2 min"),
        (3008.5, "50 min"),
        (7200, "2 h 00 min"),
        (11100, "3 h 05 min"),
        (3 * 86400 + 7200, "3 d 2 h"),
    ],
)
def test_an_age_reads_in_the_unit_that_fits(seconds, text) -> None:
    assert age(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-0.4, "0 s"),
        (61.2, "61 s"),
        (119.6, "2 min"),
        (125, "2 min 05 s"),
        (5400, "90 min"),
        (11100, "3 h 05 min"),
        (3 * 86400 + 7200, "3 d 2 h"),
    ],
)
def test_a_duration_in_a_message_reads_in_whole_units(seconds, text) -> None:
    assert duration_text(seconds) == text
