from django.db import migrations, models

# The matrix as it stood when the field was added (a migration must not import app code).
MATRIX = {
    ("high", "high"): 1, ("high", "medium"): 2, ("medium", "high"): 2,
    ("high", "low"): 3, ("medium", "medium"): 3, ("low", "high"): 3,
    ("medium", "low"): 4, ("low", "medium"): 4, ("low", "low"): 5,
}  # fmt: skip


def mark_overridden_priorities(apps, schema_editor):
    """A ticket whose priority differs from its impact x urgency was set by hand (or raised
    on a breach, which the history alone tells apart): say so rather than claim the matrix."""
    Ticket = apps.get_model("tickets", "Ticket")
    for (impact, urgency), priority in MATRIX.items():
        Ticket.objects.filter(impact=impact, urgency=urgency).exclude(priority=priority).update(
            priority_source="manual"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_search_index_upkeep"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="priority_source",
            field=models.CharField(
                choices=[
                    ("matrix", "Impact × urgency"),
                    ("manual", "Set by hand"),
                    ("escalated", "Raised on SLA breach"),
                ],
                db_default="matrix",
                default="matrix",
                max_length=16,
            ),
        ),
        migrations.RunPython(mark_overridden_priorities, migrations.RunPython.noop),
    ]
