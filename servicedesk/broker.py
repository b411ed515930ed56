"""The embedded development broker: kombu's filesystem transport, with a short wait per turn.

Celery's worker runs a blocking loop on transports without asynchronous I/O, such as the
filesystem one: each turn asks the transport for messages for up to 2 seconds and only then
checks whether it was told to stop, and on shutdown it takes one more full turn. The
filesystem transport spends those 2 seconds polling its folder, so Ctrl-C or SIGTERM took 2 to 4
seconds before the worker even began to stop (more on a busy machine). Here a turn ends after
one polling interval without a message, so the loop notices a stop request within a fraction
of a second. Message delivery is unchanged: the folder is polled just as often.
"""

from typing import Any

from kombu.transport import filesystem


class FilesystemTransport(filesystem.Transport):
    polling_interval = 0.25

    def drain_events(self, connection: Any, timeout: float | None = None, **kwargs: Any) -> None:
        turn = self.polling_interval if timeout is None else min(timeout, self.polling_interval)
        super().drain_events(connection, timeout=turn, **kwargs)
