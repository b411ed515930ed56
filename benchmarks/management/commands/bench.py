"""`manage.py bench`: seed a dedicated Postgres database, then time real HTTP requests."""

import socket
from collections.abc import Mapping
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from benchmarks import runner, seed


class Command(BaseCommand):
    help = "Benchmark the pages at a given volume of tickets (Postgres only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--seconds", type=float, default=8.0, help="time per page")
        parser.add_argument(
            "--articles",
            type=int,
            default=None,
            help="knowledge articles (default: tickets / 50, at most 20,000)",
        )
        parser.add_argument(
            "--searches",
            type=int,
            default=None,
            help="logged searches (default: as many as tickets)",
        )
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument(
            "--pages",
            default="",
            help="only the pages whose names contain one of these, comma-separated (with the "
            "floor); the results are printed, not saved",
        )

    def handle(
        self,
        *args: object,
        tickets: int,
        seconds: float,
        articles: int | None,
        searches: int | None,
        concurrency: int,
        workers: int,
        pages: str,
        **options: object,
    ) -> None:
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError(
                "The benchmark needs Postgres: set DATABASE_URL to a dedicated database."
            )
        self._create_database(db)
        call_command("migrate", verbosity=0)
        seed_seconds = None
        size = seed.seeded_size()
        volumes = seed.Volumes.for_tickets(tickets, articles=articles, searches=searches)
        if size is None:
            self.stdout.write(f"Seeding {tickets:,} tickets into {db['NAME']}...")
            seed_seconds = seed.seed(volumes, log=self.stdout.write)
            self.stdout.write(f"Seeded in {seed_seconds:.0f}s.")
        elif size != tickets:
            raise CommandError(
                f"{db['NAME']} holds {size:,} tickets, not {tickets:,}: use another database."
            )
        else:
            self.stdout.write(f"Reusing {db['NAME']} with {size:,} tickets.")
            if seed.ensure_sla():
                self.stdout.write("Added SLA policies and clocks to the seeded tickets.")
            if seed.ensure_surveys():
                self.stdout.write("Added the survey invitations the survey pages are timed with.")
            if seed.ensure_knowledge(volumes):
                self.stdout.write(
                    f"Added {volumes.articles:,} articles and {volumes.searches:,} searches."
                )
        self.stdout.write(f"Vacuumed the tickets table in {seed.tidy_tickets():.1f}s.")
        sla_cycle = runner.time_sla_cycle()
        self.stdout.write(
            f"SLA beat cycle: p50 {sla_cycle['p50_ms']:.1f} ms, slowest {sla_cycle['max_ms']:.1f} ms."
        )
        database_url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
            **{**db, "HOST": db["HOST"] or "127.0.0.1", "PORT": db["PORT"] or 5432}
        )
        with runner.gunicorn(database_url, port=self._free_port(), workers=workers) as base:
            plan = runner.build_plan(base, concurrency=concurrency, seconds=seconds)
            if pages:
                wanted = ["floor", *pages.split(",")]
                plan["pages"] = [
                    page for page in plan["pages"] if any(w in page["name"] for w in wanted)
                ]
            started = timezone.now()
            try:
                rows = runner.drive(plan)
            finally:
                runner.remove_run_tickets()
                runner.remove_run_searches(since=started)
        self.stdout.write(runner.table(rows))
        if pages:
            return
        path = runner.save(
            rows,
            tickets=tickets,
            seed_seconds=seed_seconds,
            seconds=seconds,
            concurrency=concurrency,
            sla_cycle=sla_cycle,
        )
        self.stdout.write(f"Wrote {path} and docs/benchmarks.md")

    def _create_database(self, db: Mapping[str, Any]) -> None:
        params = {
            "host": db["HOST"] or "127.0.0.1",
            "port": db["PORT"] or 5432,
            "user": db["USER"],
            "password": db["PASSWORD"],
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
                self.stdout.write(f"Created database {db['NAME']}.")
        connection.close()

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
