"""Load a year of survey history for the demo organisation (after `seed_demo`)."""

from django.core.management.base import BaseCommand, CommandParser

from surveys import demo


class Command(BaseCommand):
    help = "Load demo survey history: a year of answers, follow-ups and agent pulse rounds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--per-month", type=int, default=300, help="Tickets a month.")
        parser.add_argument("--people", type=int, default=400, help="Requesters to add.")
        parser.add_argument("--seed", type=int, default=11)

    def handle(
        self, *args: object, per_month: int, people: int, seed: int, **options: object
    ) -> None:
        if demo.loaded():
            self.stdout.write("  Demo survey history is already loaded.")
            return
        history = demo.seed(per_month=per_month, people=people, seed=seed)
        if history is None:
            self.stdout.write("  Load the ticket demo first (manage.py seed_demo).")
            return
        self.stdout.write(
            f"  Loaded survey history: {history.invitations} invitations, {history.answers} answers, "
            f"{history.follow_ups} follow-ups ({history.open_follow_ups} open), "
            f"{history.pulse_answers} pulse answers."
        )
