"""Password reset by email: through the outbox, limited, and the same work whatever the address.

`request_reset()` is all a request does. It counts the request against two limits, per client
and per address typed, and under both it writes the outbox row in a single INSERT ... SELECT
that finds the account as it inserts. For an address with no active account, the same
statement inserts nothing. Known and unknown addresses cost the same queries and the same
nudge to the broker, and get the same page. The link's token is made by Django's token
generator when the worker renders the message (accounts/renderers.py), so no secret is
stored. The worker skips anyone deactivated meanwhile. Password reset emails cannot be
switched off.

The limits are counted in the database, not the shared cache. The request writes there
anyway, a conditional UPDATE holds under any number of web processes, and a cache outage
leaves no choice to make: failing open would let anyone flood a person's inbox while Redis is
away, and failing closed would stop every reset.

The outbox lives in `tickets` (the one road to a person's inbox). This module and
accounts/renderers.py are the only parts of accounts that import it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import cast

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.db.models import F, Field, Model
from django.utils.crypto import salted_hmac

from tickets.models import OutboxMessage

from .models import PasswordResetCounter, User

logger = logging.getLogger(__name__)

KIND = "password_reset"
HOUR = 3600


def hour_of(now: datetime) -> int:
    return int(now.timestamp()) // HOUR


def scope_digest(scope: str) -> str:
    return salted_hmac("accounts.password_reset.scope", scope, algorithm="sha256").hexdigest()


def take(scope: str, *, limit: int, now: datetime) -> bool:
    """Count one request in `scope`'s current hour; False when the hour's limit is reached.

    The conditional UPDATE is atomic: a second process waits for the first's row lock and
    then sees its count, so concurrent requests never slip in together under the limit.
    """
    if limit <= 0:
        return True
    counter, _ = PasswordResetCounter.objects.get_or_create(
        scope=scope_digest(scope), hour=hour_of(now)
    )
    return bool(
        PasswordResetCounter.objects.filter(pk=counter.pk, count__lt=limit).update(
            count=F("count") + 1
        )
    )


@transaction.atomic
def request_reset(email: str, *, client: str, now: datetime) -> None:
    """Send a password reset link to `email` if it is an active account's, within the limits.

    The client's limit is counted first, so a client that floods one address uses up its
    own allowance as well as that address's.
    """
    address = email.strip().lower()
    if not take(f"client:{client}", limit=settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR, now=now):
        return
    if not take(f"address:{address}", limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR, now=now):
        return
    key = f"{KIND}:{uuid.uuid4().hex}"
    queue_for_account(address, key=key, now=now)
    transaction.on_commit(lambda: nudge(key))


def queue_for_account(address: str, *, key: str, now: datetime) -> None:
    """Insert the outbox row for the active account with this address, if there is one.

    One statement whether or not there is: Django's ORM has no INSERT ... SELECT.
    """
    values = {
        "kind": KIND,
        "key": key,
        "payload": {},
        "status": OutboxMessage.Status.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "last_error": "",
    }
    fields = [field(OutboxMessage, name) for name in values]
    params = [
        f.get_db_prep_save(value, connection)
        for f, value in zip(fields, values.values(), strict=True)
    ]
    outbox, users = OutboxMessage._meta.db_table, User._meta.db_table
    columns = ", ".join(column(f) for f in [*fields, field(OutboxMessage, "recipient")])
    placeholders = ", ".join(["%s"] * len(params))
    email, active, password, pk = (
        column(field(User, name)) for name in ("email", "is_active", "password", "id")
    )
    # Identifiers come from the models and are quoted; every value is a parameter.
    sql = f"INSERT INTO {quote(outbox)} ({columns}) SELECT {placeholders}, {pk} FROM {quote(users)} WHERE LOWER({email}) = %s AND {active} AND {password} NOT LIKE %s"  # nosec B608  # test_known_and_unknown_addresses_cost_the_same_queries
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, address, f"{UNUSABLE_PASSWORD_PREFIX}%"])


def field(model: type[Model], name: str) -> Field:
    return cast(Field, model._meta.get_field(name))


def column(f: Field) -> str:
    return quote(f.column)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def nudge(key: str) -> None:
    """Ask a worker to send the reset queued under `key` now; the outbox sweep sends it otherwise.

    Published whether or not a row was inserted, so that the broker's part of the request is
    the same for every address.
    """
    from .tasks import deliver_password_reset

    try:
        deliver_password_reset.apply_async((key,), retry=False)
    except Exception as error:  # The broker being unreachable must never fail the request.
        logger.warning("Broker unavailable (%s); the password reset waits for the sweep", error)


def forget_counters(*, now: datetime) -> int:
    """Delete the counters of hours that are over; they limit nothing any more."""
    deleted, _ = PasswordResetCounter.objects.filter(hour__lt=hour_of(now)).delete()
    return deleted
