"""E-mail delivery over SMTP, STARTTLS and AUTH, in French or English (Jinja2 templates).

Each message has a plain-text part and an HTML part (autoescaped: a device name or a blocker's
text can never inject markup). A digest lists the open violations of one domain or site by
policy group; other batches are immediate alerts (repeat offenders, resolutions, PUE, silent
devices). Templates live in ``collector/alerts/templates/<lang>/``. Times are shown in the
authority's time zone.

The SMTP password never reaches an error: failures are reported by their SMTP code and the
server's reply, or the socket error, and smtplib's debug output stays off.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import SecretStr

from collector.alerts.errors import DeliveryError, PermanentDeliveryError
from collector.alerts.events import Batch

Lang = Literal["fr", "en"]

_ENV = Environment(
    loader=PackageLoader("collector.alerts", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(batch: Batch, lang: Lang, tz: ZoneInfo) -> Rendered:
    """The subject, text and HTML of a batch in ``lang``, times in ``tz``."""

    def local(ts: datetime | None) -> str:
        return ts.astimezone(tz).strftime("%Y-%m-%d %H:%M") if ts else ""

    ctx = {
        "batch": batch,
        "digest": batch.digest,
        "events": batch.events,
        "local": local,
        "tz": tz.key,
    }
    subject = _ENV.get_template(f"{lang}/subject.txt.j2").render(ctx).strip()
    return Rendered(
        subject=" ".join(subject.split()),
        text=_ENV.get_template(f"{lang}/message.txt.j2").render(ctx),
        html=_ENV.get_template(f"{lang}/message.html.j2").render(ctx),
    )


class MailChannel:
    """Sends each batch as one e-mail to ``to``, through ``host:port``."""

    name = "email"
    stateful = False

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        to: list[str],
        lang: Lang = "fr",
        timezone: str = "Europe/Paris",
        starttls: bool = True,
        username: str | None = None,
        password: SecretStr | None = None,
        ca_file: Path | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.host, self.port = host, port
        self.sender, self.to = sender, list(to)
        self.lang: Lang = lang
        self.tz = ZoneInfo(timezone)
        self.starttls = starttls
        self.username = username
        self._password = password
        self.ca_file = ca_file
        self.timeout = timeout_seconds

    def message(self, batch: Batch) -> EmailMessage:
        r = render(batch, self.lang, self.tz)
        msg = EmailMessage()
        msg["Subject"] = r.subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain="veille")
        msg.set_content(r.text)
        msg.add_alternative(r.html, subtype="html")
        msg["Content-Language"] = self.lang  # after the parts: set_content clears Content-*
        return msg

    def send(self, batch: Batch) -> None:
        if not batch.events and batch.digest is None:
            return
        msg = self.message(batch)
        where = f"email: {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    ctx = ssl.create_default_context(
                        cafile=str(self.ca_file) if self.ca_file else None
                    )
                    smtp.starttls(context=ctx)
                    smtp.ehlo()
                if self.username:
                    pw = self._password.get_secret_value() if self._password else ""
                    smtp.login(self.username, pw)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentDeliveryError(
                f"{where}: authentication refused for user {self.username!r} (SMTP {exc.smtp_code})"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(
                f"{where}: recipients refused: {sorted(exc.recipients)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            reply = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise DeliveryError(f"{where}: SMTP {exc.smtp_code} {reply}") from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentDeliveryError(f"{where}: server does not offer STARTTLS") from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"{where}: TLS failed: {exc.reason}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
