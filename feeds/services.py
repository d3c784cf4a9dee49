"""What other apps may ask ``feeds`` to do besides reading (``feeds.selectors``).

On-call's actions on feed state go through here, so no app outside ``feeds``
imports the state store module or names one of its keys.
"""

from __future__ import annotations

from feeds.state_store import latest_state_clear as latest_state_clear
