"""Run work in real threads released together, each closing its own database connection."""

import threading

from django.db import connections


def run_together(count: int, work) -> list:
    """Call work(i) for i in range(count), all at the same instant; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:  # the caller's assertions report it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
