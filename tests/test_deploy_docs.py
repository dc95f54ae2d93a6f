"""docs/operations.md stays true: its PromQL names metrics and labels the API really exports."""

import re

import pytest

from tests.helpers import ROOT

RUNBOOK = ROOT / "docs" / "operations.md"


def promql_queries() -> list[str]:
    text = RUNBOOK.read_text()
    section = text[text.index("## Metrics") : text.index("## Upgrading")]
    return re.findall(r"`([^`]*\[\d+[mh]\][^`]*)`", section)


def test_the_runbook_has_the_promised_queries():
    queries = " ".join(promql_queries())
    for needle in ("histogram_quantile(0.95", 'status=~"5.."', "pospro_orders_total"):
        assert needle in queries


@pytest.mark.django_db
def test_django_metrics_in_the_runbook_are_exported(client):
    client.get("/health")
    client.get("/no-such-page")
    exported = client.get("/metrics").content.decode()
    families = set(re.findall(r"^# TYPE (\w+) ", exported, re.MULTILINE))
    samples = re.findall(r"^(\w+)\{([^}]*)\}", exported, re.MULTILINE)
    labels = {}
    for name, label_text in samples:
        labels.setdefault(name, set()).update(re.findall(r"(\w+)=", label_text))

    used = set()
    for query in promql_queries():
        for name in re.findall(r"\b(django_\w+)", query):
            used.add(name)
            family = re.sub(r"_(bucket|total)$", "", name)
            assert name in families or family in families, f"{name} is not exported"
            assert name in labels, f"no samples of {name}"
            grouped = re.findall(r"by \(([^)]*)\)", query)
            for label in {g.strip() for group in grouped for g in group.split(",")} - {"le"}:
                assert label in labels[name], f"{name} has no label {label}"
            if "status=~" in query:
                assert "status" in labels[name]
    assert len(used) >= 3
