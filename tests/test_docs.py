"""The project documents its own API: nothing points readers to a file outside the repository."""

import subprocess

from tests.helpers import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.split("\0") if name]


def test_no_tracked_file_outside_tests_points_to_shared_api_md():
    files = [name for name in tracked_files() if not name.startswith("tests/")]
    assert "README.md" in files
    mentions = [
        name
        for name in files
        if (ROOT / name).is_file()
        and "shared/API.md" in (ROOT / name).read_text(encoding="utf-8", errors="ignore")
    ]
    assert mentions == []


def test_readme_and_docs_never_mention_shared():
    assert [doc.name for doc in DOCS if "shared/" in doc.read_text()] == []


def test_the_till_page_shows_each_flow_and_readme_links_it():
    till = (ROOT / "docs" / "till.md").read_text()
    for request in (
        "POST /api/v1/auth/login",
        "GET /api/v1/products/barcode/",
        "POST /api/v1/orders",
        "Idempotent-Replayed: true",
        "/refund",
    ):
        assert request in till, request
    assert till.count("Idempotency-Key: till-7-20261204-0042") == 2, "the re-send uses the same key"
    assert '"method": "card"' in till, "split tender"
    assert '"method": "cash"' in till, "split tender"
    assert "](docs/till.md)" in (ROOT / "README.md").read_text()
