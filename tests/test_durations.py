"""`pytest --durations` reports real times, also for tests that freeze the clock (freezegun)."""

import os
import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_durations_are_real_while_a_test_freezes_the_clock():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/scripts/frozen_clock.py", "-p", "no:cacheprovider"]
        + ["--durations=0", "--durations-min=0", "-vv"],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    durations = {
        phase: float(seconds)
        for seconds, phase in re.findall(r"^([\d.]+)s (setup|call|teardown) ", result.stdout, re.M)
    }
    assert set(durations) == {"setup", "call", "teardown"}, result.stdout[-3000:]
    assert 0.3 <= durations["call"] < 30
    assert durations["setup"] < 30
    assert durations["teardown"] < 30
