"""Drive real HTTP requests at a fixed concurrency and report latencies.

Runs in its own process (`python -m benchmarks.driver < plan.json`), with the standard
library only, so the load generator shares nothing with the server it measures.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any, cast


def request(base: str, page: dict[str, Any]) -> tuple[float, int, int | None]:
    """One request on a fresh connection; returns (seconds, status, SQL queries)."""
    url = urllib.parse.urlsplit(base)
    body = None
    headers = {"Cookie": page.get("cookie", ""), "Host": url.netloc, **page.get("headers", {})}
    if page.get("form") is not None:
        form = dict(page["form"])
        if "submission_token" in form:
            form["submission_token"] = str(uuid.uuid4())
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = base + page["path"]
    if page.get("csrf"):
        headers["X-CSRFToken"] = page["csrf"]
    connection = http.client.HTTPConnection(cast(str, url.hostname), url.port, timeout=30)
    started = time.perf_counter()
    try:
        connection.request(page.get("method", "GET"), page["path"], body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        queries = response.getheader("X-Query-Count")
        return elapsed, response.status, int(queries) if queries else None
    except OSError:
        return time.perf_counter() - started, 599, None
    finally:
        connection.close()


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Samples:
    """What one page's requests came back with, over every round."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    queries: list[int] = field(default_factory=list)
    wall: float = 0.0


def measure(
    base: str,
    page: dict[str, Any],
    samples: Samples,
    *,
    concurrency: int,
    seconds: float,
    warm: bool,
) -> None:
    """Keep `concurrency` requests in flight for `seconds`, adding what came back to `samples`."""
    lock = threading.Lock()
    expected = page.get("expect", 200)

    def work(until: float, *, record: bool) -> None:
        while time.perf_counter() < until:
            elapsed, status, count = request(base, page)
            if not record:
                continue
            with lock:
                samples.latencies.append(elapsed)
                if status != expected:
                    samples.errors += 1
                if count is not None:
                    samples.queries.append(count)

    def run_threads(until: float, *, record: bool) -> None:
        threads = [
            threading.Thread(target=work, args=(until,), kwargs={"record": record})
            for _ in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    if warm:
        # Warm every server worker first (its templates, connection and reference data),
        # with the same concurrency, so the first request each worker serves is not timed.
        run_threads(time.perf_counter() + min(1.0, seconds), record=False)
    started = time.perf_counter()
    run_threads(started + seconds, record=True)
    samples.wall += time.perf_counter() - started


def summary(page: dict[str, Any], samples: Samples) -> dict[str, Any]:
    ordered = sorted(samples.latencies)
    return {
        "page": page["name"],
        "requests": len(ordered),
        "rps": len(ordered) / samples.wall if samples.wall else 0.0,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p95_ms": percentile(ordered, 0.95) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "mean_ms": (statistics.fmean(ordered) * 1000) if ordered else 0.0,
        "errors": samples.errors,
        "queries": max(samples.queries) if samples.queries else None,
    }


def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Time every page in turn, in several rounds of a slice of its time each.

    On a shared machine the speed drifts within a run; taking the pages (the floor with
    them) round by round spreads any slow spell over all of them, so the ratio of a page
    to the floor does not depend on where in the run the page happened to be timed.
    """
    rounds = max(1, int(plan.get("rounds", 1)))
    pages = plan["pages"]
    samples = [Samples() for _ in pages]
    for round_number in range(rounds):
        for page, page_samples in zip(pages, samples, strict=True):
            measure(
                plan["base"],
                page,
                page_samples,
                concurrency=plan["concurrency"],
                seconds=plan["seconds"] / rounds,
                warm=round_number == 0,
            )
    return [summary(page, page_samples) for page, page_samples in zip(pages, samples, strict=True)]


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
