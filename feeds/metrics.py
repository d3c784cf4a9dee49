"""The ingest pipeline's metrics: their namespace and the per-feed dimension.

The EMF writer itself is plumbing (``lib.emf``); what is measured is feeds'.
"""

from __future__ import annotations

from lib.emf import Unit, emf_line, emf_logger

NAMESPACE = "FRGM/Ingest"


def metrics_emit(
    *,
    feed: str,
    metrics: dict[str, tuple[float, Unit]],
    properties: dict[str, object] | None = None,
) -> None:
    """One EMF line in ``FRGM/Ingest``, per feed and across all feeds."""
    emf_logger.info(
        emf_line(
            namespace=NAMESPACE,
            dimensions={"Feed": feed},
            metrics=metrics,
            properties=properties,
        )
    )
