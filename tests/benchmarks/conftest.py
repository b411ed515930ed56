import pytest

from benchmarks import runner


@pytest.fixture(autouse=True)
def _benchmark_app(settings):
    """These tests run the benchmark's own code, so they install its app as a run does."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "benchmarks"]
    settings.ROOT_URLCONF = "benchmarks.urls"
    # As in a real run (benchmarks/runner.py): one person submits as fast as the server
    # answers, which the per-person submission limit would refuse.
    settings.TICKET_SUBMISSION_LIMITS = [(0, 10 * 60), (0, 24 * 60 * 60)]
    # The run's server signs with its own key, and the plan signs survey links for it.
    settings.SECRET_KEY = runner.SERVER_SECRET_KEY
