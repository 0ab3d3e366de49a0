"""E-mail delivery against a real SMTP server on loopback (aiosmtpd, STARTTLS, AUTH): the
received message is parsed, in French and in English, and its HTML is escaped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from collector.alerts.digest import build_digests
from collector.alerts.errors import DeliveryError, PermanentDeliveryError
from collector.alerts.events import Batch
from collector.alerts.mail import MailChannel
from tests.alerts.factory import opened, pue_above, resolved, silent
from tests.alerts.smtp_server import PASSWORD, USER, Mailbox, smtp_server

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailbox]:
    with smtp_server(tmp_path_factory.mktemp("smtp")) as box:
        yield box


def channel(box: Mailbox, lang: str = "fr", **kw: object) -> MailChannel:
    args: dict[str, object] = {
        "host": box.host,
        "port": box.port,
        "sender": "veille@mairie.example",
        "to": ["infra@mairie.example", "dsi@mairie.example"],
        "lang": lang,
        "username": USER,
        "password": SecretStr(PASSWORD),
        "ca_file": box.ca_file,
        "timeout_seconds": 5,
    }
    args.update(kw)
    return MailChannel(**args)  # type: ignore[arg-type]


def parts(msg: object) -> tuple[str, str]:
    text = msg.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    html = msg.get_body(("html",)).get_content()  # type: ignore[attr-defined]
    return text, html


def test_french_digest_over_starttls(mailbox: Mailbox) -> None:
    n = len(mailbox.messages)
    events = [
        opened("PC-ACCUEIL-01"),
        opened("PC-COMPTA-07", windows_in_row=3, group="comptabilite"),
        opened("PC-ETAT-02", site="mediatheque"),
    ]
    now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    digest = build_digests(events, by="site", now=now, tz=PARIS)[0]
    assert digest.name == "hotel-de-ville"
    channel(mailbox).send(Batch(digest.events, digest=digest))

    msg = mailbox.wait_for(n + 1)[n]
    assert mailbox.tls_sessions >= 1
    assert mailbox.recipients[n] == ["infra@mairie.example", "dsi@mairie.example"]
    assert msg["Subject"] == (
        "[veille] 2 poste(s) hors politique de veille – site hotel-de-ville – 2026-12-01"
    )
    assert msg["From"] == "veille@mairie.example"
    assert msg["Content-Language"] == "fr"
    text, html = parts(msg)
    assert "Groupe comptabilite (1)" in text and "Groupe workstations (1)" in text
    # starts_at 18:52 UTC = 19:52 in Paris (CET)
    assert "- PC-ACCUEIL-01 (hotel-de-ville), depuis le 2026-11-30 19:52" in text
    assert "récidive : 3 fenêtres de suite" in text
    assert "Preuve : awake and idle 19:52–23:10, blocker: Teams call" in text
    assert "PC-ETAT-02" not in text  # another site, another digest
    assert "<h2>Groupe comptabilite (1)</h2>" in html


def test_english_resolution_notice(mailbox: Mailbox) -> None:
    n = len(mailbox.messages)
    done = resolved(opened("PC-RH-03"), at=datetime(2026, 12, 1, 19, 0, tzinfo=UTC))
    channel(mailbox, "en").send(Batch((done,)))
    msg = mailbox.wait_for(n + 1)[n]
    assert msg["Subject"] == "[veille] Complies again: PC-RH-03"
    text, _html = parts(msg)
    assert "Started: 2026-11-30 19:52, ended: 2026-12-01 20:00" in text
    assert "local times (Europe/Paris)" in text


def test_html_part_is_escaped_and_text_part_is_not(mailbox: Mailbox) -> None:
    n = len(mailbox.messages)
    nasty = opened("PC-<b>X</b>", description='blocker: <script>alert("x")</script> & co')
    channel(mailbox, "en").send(Batch((nasty,)))
    text, html = parts(mailbox.wait_for(n + 1)[n])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html
    assert "PC-&lt;b&gt;X&lt;/b&gt;" in html
    assert 'blocker: <script>alert("x")</script> & co' in text


def test_wrong_password_is_permanent_and_never_logged(
    mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Wr0ng-But-Secret-Pa55"
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentDeliveryError) as exc:
        channel(mailbox, password=SecretStr(secret)).send(Batch((opened(),)))
    assert "authentication refused for user 'veille' (SMTP 535)" in str(exc.value)
    assert secret not in str(exc.value)
    assert secret not in caplog.text


def test_untrusted_certificate_fails_tls(mailbox: Mailbox, tmp_path: Path) -> None:
    from tests.alerts.smtp_server import make_cert

    other_ca, _ = make_cert(tmp_path)
    with pytest.raises(DeliveryError, match="TLS failed"):
        channel(mailbox, ca_file=other_ca).send(Batch((opened(),)))


def test_server_requiring_starttls_refuses_plain_session(mailbox: Mailbox) -> None:
    with pytest.raises(DeliveryError) as exc:
        channel(mailbox, starttls=False).send(Batch((opened(),)))
    assert PASSWORD not in str(exc.value)


def test_digest_subject_per_domain_in_english(mailbox: Mailbox) -> None:
    n = len(mailbox.messages)
    now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    [digest] = build_digests([replace(opened(), site="annexe")], by="domain", now=now, tz=PARIS)
    channel(mailbox, "en").send(Batch(digest.events, digest=digest))
    msg = mailbox.wait_for(n + 1)[n]
    assert msg["Subject"] == (
        "[veille] 1 device(s) out of sleep policy – domain Environnement utilisateur – 2026-12-01"
    )


@pytest.mark.parametrize(
    ("lang", "subjects"),
    [
        (
            "fr",
            ["[veille] PUE au-dessus de sa limite : dc-a", "[veille] Équipement muet : SRV-APP-01"],
        ),
        (
            "en",
            ["[veille] PUE above its limit: dc-a", "[veille] Device stopped reporting: SRV-APP-01"],
        ),
    ],
)
def test_pue_and_silent_device_notices(mailbox: Mailbox, lang: str, subjects: list[str]) -> None:
    n = len(mailbox.messages)
    mail = channel(mailbox, lang)
    mail.send(Batch((pue_above(),)))
    mail.send(Batch((silent(),)))
    got = mailbox.wait_for(n + 2)[n:]
    assert [m["Subject"] for m in got] == subjects
    text, _ = parts(got[0])
    assert "facility 1 920 kWh / IT 1 000 kWh, category 1 (UPS output)" in text


def test_several_events_in_one_message(mailbox: Mailbox) -> None:
    n = len(mailbox.messages)
    channel(mailbox, "fr").send(Batch((opened("PC-1", windows_in_row=3), silent())))
    msg = mailbox.wait_for(n + 1)[n]
    assert msg["Subject"] == "[veille] 2 alertes"
    text, _ = parts(msg)
    assert "Récidive (3 fenêtres de suite) – PC-1" in text
    assert "Équipement muet – SRV-APP-01" in text
