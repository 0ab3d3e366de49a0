"""Webhook delivery against a real HTTP server on loopback: JSON body, bearer token, errors."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from collector.alerts.errors import DeliveryError, PermanentDeliveryError
from collector.alerts.events import Batch
from collector.alerts.webhook import WebhookChannel
from loopback.servers import free_port
from tests.alerts.factory import opened, resolved
from tests.alerts.http_sink import http_sink

pytestmark = pytest.mark.integration


def test_batch_is_posted_as_json_with_the_bearer_token() -> None:
    event = opened("PC-WH-01", windows_in_row=4)
    with http_sink() as sink:
        WebhookChannel(sink.url, token=SecretStr("s3cr3t-t0ken")).send(
            Batch((event, resolved(opened("PC-WH-02"))))
        )
        [got] = sink.wait_for(1)
    assert got.path == "/hooks/veille"
    assert got.headers["Authorization"] == "Bearer s3cr3t-t0ken"
    assert got.headers["Content-Type"] == "application/json"
    assert got.body["schema"] == 1
    first, second = got.body["events"]
    assert first["kind"] == "violation_repeated"
    assert first["state"] == "repeated"
    assert first["repeat_offender"] is True
    assert first["windows_in_row"] == 4
    assert first["key"] == event.key
    assert first["starts_at"] == "2026-11-30T18:52:00+00:00"
    assert first["ends_at"] is None
    assert second["kind"] == "violation_resolved"
    assert second["device_id"] == "PC-WH-02"
    assert second["ends_at"] == "2026-12-01T18:52:00+00:00"
    assert "digest" not in got.body


def test_no_token_no_authorization_header() -> None:
    with http_sink() as sink:
        WebhookChannel(sink.url).send(Batch((opened(),)))
        [got] = sink.wait_for(1)
    assert "Authorization" not in got.headers


def test_server_error_is_retryable_and_client_error_is_permanent() -> None:
    with http_sink() as sink:
        channel = WebhookChannel(sink.url, token=SecretStr("s3cr3t-t0ken"))
        sink.fail, sink.status = 1, 503
        with pytest.raises(DeliveryError, match="HTTP 503") as exc:
            channel.send(Batch((opened(),)))
        assert not isinstance(exc.value, PermanentDeliveryError)
        assert "s3cr3t" not in str(exc.value)
        sink.fail, sink.status = 1, 400
        with pytest.raises(PermanentDeliveryError, match="HTTP 400"):
            channel.send(Batch((opened(),)))
        sink.fail, sink.status = 1, 429
        with pytest.raises(DeliveryError) as exc:
            channel.send(Batch((opened(),)))
        assert not isinstance(exc.value, PermanentDeliveryError)


def test_url_credentials_and_query_stay_out_of_errors() -> None:
    port = free_port()
    channel = WebhookChannel(
        f"http://user:hunter2@127.0.0.1:{port}/hook?token=abc", timeout_seconds=2
    )
    with pytest.raises(DeliveryError) as exc:
        channel.send(Batch((opened(),)))
    message = str(exc.value)
    assert f"http://127.0.0.1:{port}/hook" in message
    assert "hunter2" not in message and "abc" not in message


def test_redirect_is_not_followed_so_the_token_stays_home() -> None:
    with http_sink() as home, http_sink() as elsewhere:
        home.fail, home.status, home.location = 1, 302, elsewhere.url
        channel = WebhookChannel(home.url, token=SecretStr("s3cr3t-t0ken"))
        with pytest.raises(PermanentDeliveryError, match="HTTP 302"):
            channel.send(Batch((opened(),)))
        assert elsewhere.received == []
