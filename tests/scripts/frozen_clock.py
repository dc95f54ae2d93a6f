"""Run by tests/test_durations.py in a pytest of its own: a test under a frozen, ticking clock."""

import time


def test_a_throttle_test_takes_a_moment(one_throttle_window):
    time.sleep(0.3)
