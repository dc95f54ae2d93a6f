"""Gauges computed at scrape time from the database, appended to django-prometheus' output.

Counters live in prometheus_client (multi-process safe under gunicorn); a value that *is* a
database fact (how many products are low on stock) is read when Prometheus asks, so every
worker answers the same number.
"""

import logging
from collections.abc import Callable, Iterable

logger = logging.getLogger("pospro.metrics")

# Each provider yields (name, help, [(labels, value), ...]).
GaugeSamples = tuple[str, str, Iterable[tuple[dict[str, str], float]]]
_providers: list[Callable[[], GaugeSamples]] = []


def register_gauge(provider: Callable[[], GaugeSamples]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_gauges() -> str:
    out = []
    for provider in _providers:
        try:
            name, help_text, samples = provider()
            samples = list(samples)
        except Exception:
            # A scrape must not fail because the database is briefly away: skip this gauge.
            logger.warning("metrics: gauge provider failed", exc_info=True)
            continue
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
            out.append(f"{name}{{{label_text}}} {value}" if label_text else f"{name} {value}")
    return "\n".join(out) + "\n" if out else ""
