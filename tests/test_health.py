"""Liveness answers from the database alone; readiness also reports the broker, promptly."""

import time

import pytest

PROMPTLY_SECONDS = 1.5


def timed_get(client, url: str):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_liveness_and_readiness_with_everything_up(client, db, own_redis, broker_at):
    broker_at(own_redis.url)
    assert client.get("/healthz/").json() == {"status": "ok"}
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.parametrize("outage", ["stop", "pause"])
def test_liveness_ignores_the_broker_and_readiness_reports_it_promptly(
    client, db, own_redis, broker_at, outage
):
    broker_at(own_redis.url)
    getattr(own_redis, outage)()

    response, took = timed_get(client, "/healthz/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert took < PROMPTLY_SECONDS

    response, took = timed_get(client, "/readyz/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}
    assert took < PROMPTLY_SECONDS
    if outage == "pause":
        own_redis.resume()
