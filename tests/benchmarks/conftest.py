import pytest


@pytest.fixture(autouse=True)
def _benchmark_app(settings):
    """These tests run the benchmark's own code, so they install its app as a run does."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "benchmarks"]
    settings.ROOT_URLCONF = "benchmarks.urls"
