"""Settings that depend on the environment, read in a fresh process as a server would."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.urls import NoReverseMatch, reverse

ROOT = Path(__file__).resolve().parent.parent


def settings_with(**environ: str) -> dict:
    script = (
        "import json; from servicedesk import settings as s; print(json.dumps({"
        "'apps': s.INSTALLED_APPS, 'urls': s.ROOT_URLCONF, 'caches': s.CACHES, "
        "'email': [s.EMAIL_BACKEND, s.EMAIL_TIMEOUT, s.EMAIL_CONVERSATION_SECONDS]}))"
    )
    env = {
        **os.environ,
        "DEBUG": "1",
        "REDIS_URL": "",
        # The run's own cache database (REDIS_CACHE_DB=7, say) must not change what is checked.
        "REDIS_CACHE_DB": "",
        "REDIS_CACHE_URL": "",
        "CELERY_BROKER_URL": "",
        "BENCH_ENABLED": "",
        **environ,
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_benchmark_app_is_neither_installed_nor_routed_by_default():
    assert not apps.is_installed("benchmarks")
    try:
        reverse("bench-floor")
    except NoReverseMatch:
        pass
    else:
        raise AssertionError("the floor page is routed")
    assert "benchmarks" not in settings_with()["apps"]


def test_a_benchmark_run_installs_and_routes_it():
    bench = settings_with(BENCH_ENABLED="1")
    assert "benchmarks" in bench["apps"] and bench["urls"] == "benchmarks.urls"
    env = {**os.environ, "DEBUG": "1", "BENCH_ENABLED": ""}
    help_text = subprocess.run(
        [sys.executable, "manage.py", "bench", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert help_text.returncode == 0 and "--tickets" in help_text.stdout, help_text.stderr


def test_the_cache_is_redis_on_its_own_database_when_redis_is_set():
    local = settings_with()["caches"]["default"]
    assert local["BACKEND"].endswith("LocMemCache")
    shared = settings_with(REDIS_URL="redis://cache.example:6379/0", REDIS_CACHE_DB="3")
    assert shared["caches"]["default"]["LOCATION"] == "redis://cache.example:6379/3"
    on_one = settings_with(REDIS_URL="redis://cache.example:6379/1")["caches"]["default"]
    assert on_one["LOCATION"] == "redis://cache.example:6379/2"  # the default 1 is the broker's


def test_the_cache_refuses_the_brokers_database():
    env = {
        **os.environ,
        "DEBUG": "1",
        "REDIS_URL": "redis://h:6379/4",
        "REDIS_CACHE_DB": "4",
        "CELERY_BROKER_URL": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import servicedesk.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "must not use the broker's Redis database" in out.stderr


def test_production_mail_goes_through_the_deadline_backend_with_a_10_second_step_timeout():
    production = settings_with(
        DEBUG="", EMAIL_BACKEND="", EMAIL_TIMEOUT="", EMAIL_CONVERSATION_SECONDS=""
    )
    assert production["email"] == ["tickets.smtp.EmailBackend", 10, 40]
