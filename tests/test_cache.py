"""The shared cache on Redis: one client per connection pool, built once."""

import pytest
from django.core.cache import caches

from servicedesk.cache import SharedClientRedisCache


@pytest.mark.needs("redis")
def test_the_redis_cache_builds_one_client_and_keeps_working(db):
    cache = caches["default"]
    assert isinstance(cache, SharedClientRedisCache)
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    cache.set("servicedesk-test:shared-client", {"n": 1}, 30)
    assert cache.get("servicedesk-test:shared-client") == {"n": 1}
    assert cache.get_many(["servicedesk-test:shared-client"]) == {
        "servicedesk-test:shared-client": {"n": 1}
    }
    assert cache._cache.get_client() is client  # type: ignore[attr-defined]
    cache.delete("servicedesk-test:shared-client")
    assert cache.get("servicedesk-test:shared-client") is None
