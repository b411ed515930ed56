"""Load the demo's knowledge base on top of the ticket demo (`seed_demo`)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from knowledge import demo


class Command(BaseCommand):
    help = (
        "Load demo knowledge: about 60 articles over the demo services, with revisions, "
        "synonyms and a few weeks of searches, votes, deflections and ticket links. "
        "Needs the ticket demo (seed_demo); running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=12)

    def handle(self, *args: object, seed: int, **options: object) -> None:
        try:
            loaded = demo.load(now=timezone.now(), seed=seed)
        except demo.DemoDataMissing as error:
            raise CommandError(str(error)) from error
        if loaded is None:
            self.stdout.write("  Knowledge demo data is already loaded.")
            return
        self.stdout.write(
            f"  Loaded {loaded.articles} knowledge articles ({loaded.revisions} revisions), "
            f"{loaded.searches} searches, {loaded.votes} votes, {loaded.deflections} deflections "
            f"and {loaded.ticket_links} ticket links."
        )
