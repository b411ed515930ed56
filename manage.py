#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
    # The benchmark app, with its `bench` command, is installed only for benchmark runs.
    if sys.argv[1:2] == ["bench"]:
        os.environ["BENCH_ENABLED"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
