"""A real SMTP server for tests: aiosmtpd, on a free local port."""

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

# The steps of one SMTP conversation at which the sink can be told to answer with a reply.
STEPS = ("connect", "mail", "rcpt", "data")


class Sink:
    """Accepts and keeps every message, unless told to answer a step with another reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.replies: dict[str, str] = {}
        # Seconds to wait before answering a command ("mail", "rcpt", "data", "quit"): a slow server.
        self.delays: dict[str, float] = {}

    def refuse(self, step: str, reply: str) -> None:
        """Answer `step` (one of STEPS) with `reply`, such as "421 Try again later"."""
        assert step in STEPS, step
        self.replies[step] = reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        await asyncio.sleep(self.delays.get("mail", 0))
        if "mail" in self.replies:
            return self.replies["mail"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        await asyncio.sleep(self.delays.get("rcpt", 0))
        if "rcpt" in self.replies:
            return self.replies["rcpt"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.delays.get("data", 0))
        if "data" in self.replies:
            return self.replies["data"]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.delays.get("quit", 0))
        return "221 Bye"


class SinkServer(SMTP):
    """aiosmtpd's server, able to greet with a refusal and hang up, as a busy relay does."""

    async def _handle_client(self) -> None:
        refusal = self.event_handler.replies.get("connect")
        if refusal is None:
            return await super()._handle_client()
        await self.push(refusal)
        assert self.transport is not None
        self.transport.close()


class SinkController(Controller):
    def factory(self) -> SMTP:
        return SinkServer(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink() -> tuple[Controller, Sink]:
    sink = Sink()
    controller = SinkController(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, sink
