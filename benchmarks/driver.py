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
from typing import Any


def request(base: str, page: dict[str, Any]) -> tuple[float, int, int | None]:
    """One request on a fresh connection; returns (seconds, status, SQL queries)."""
    url = urllib.parse.urlsplit(base)
    body = None
    headers = {"Cookie": page.get("cookie", ""), "Host": url.netloc}
    if page.get("form") is not None:
        form = dict(page["form"])
        if "submission_token" in form:
            form["submission_token"] = str(uuid.uuid4())
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = base + page["path"]
    if page.get("csrf"):
        headers["X-CSRFToken"] = page["csrf"]
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
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


def measure(base: str, page: dict[str, Any], *, concurrency: int, seconds: float) -> dict[str, Any]:
    """Keep `concurrency` requests in flight for `seconds`; summarise what came back."""
    latencies: list[float] = []
    errors = 0
    queries: list[int] = []
    lock = threading.Lock()
    expected = page.get("expect", 200)

    def work(until: float, *, record: bool) -> None:
        nonlocal errors
        while time.perf_counter() < until:
            elapsed, status, count = request(base, page)
            if not record:
                continue
            with lock:
                latencies.append(elapsed)
                if status != expected:
                    errors += 1
                if count is not None:
                    queries.append(count)

    def run_threads(until: float, *, record: bool) -> None:
        threads = [
            threading.Thread(target=work, args=(until,), kwargs={"record": record})
            for _ in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # Warm every server worker first (its templates, connection and reference data), with
    # the same concurrency, so the first request each worker serves is not timed.
    run_threads(time.perf_counter() + min(1.0, seconds / 4), record=False)
    started = time.perf_counter()
    run_threads(started + seconds, record=True)
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "page": page["name"],
        "requests": len(ordered),
        "rps": len(ordered) / wall if wall else 0.0,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p95_ms": percentile(ordered, 0.95) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "mean_ms": (statistics.fmean(ordered) * 1000) if ordered else 0.0,
        "errors": errors,
        "queries": max(queries) if queries else None,
    }


def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        measure(plan["base"], page, concurrency=plan["concurrency"], seconds=plan["seconds"])
        for page in plan["pages"]
    ]


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
