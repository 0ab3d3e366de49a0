"""The GLPI API client against a replayed GLPI on 127.0.0.1 (real HTTP, recorded answers)."""

from __future__ import annotations

import logging
import socket

import pytest
from pydantic import SecretStr

from collector.glpi.api import GlpiClient
from collector.glpi.errors import GlpiAuthError, GlpiProtocolError, GlpiUnavailable
from collector.glpi.mapping import load_mapping, map_assets
from collector.inventory import Inventory
from tests.glpi.replay import SESSION, GlpiReplay, recorded
from tests.glpi.test_mapping import DEPLOY


def client(glpi: GlpiReplay, **kw: object) -> GlpiClient:
    args: dict[str, object] = {"page_size": 2, "timeout_seconds": 5.0}
    args.update(kw)
    return GlpiClient(
        glpi.url,
        SecretStr(glpi.user_token),
        SecretStr(glpi.app_token),
        **args,  # type: ignore[arg-type]
    )


def test_session_pages_through_every_computer_then_logs_out(glpi: GlpiReplay) -> None:
    with client(glpi) as c:
        assets = c.search("Computer")
    assert [a.name for a in assets] == [
        "PC-ACCUEIL-01", "PC-COMPTA-014", "LT-DSI-007", "PC-ANCIEN-03", "SRV-APP-01"
    ]  # fmt: skip
    assert glpi.endpoints() == [
        "initSession", "search/Computer", "search/Computer", "search/Computer", "killSession"
    ]  # fmt: skip
    ranges = [dict(r.query)["range"] for r in glpi.requests if "search" in r.path]
    assert ranges == ["0-1", "2-3", "4-5"]
    first = glpi.requests[0].headers
    assert first["Authorization"] == f"user_token {glpi.user_token}"
    assert first["App-Token"] == glpi.app_token
    assert all(r.headers.get("Session-Token") == SESSION for r in glpi.requests[1:])
    columns = {v for k, v in glpi.requests[1].query if k.startswith("forcedisplay")}
    assert columns == {"1", "2", "3", "4", "5", "6", "31", "80", "47"}
    srv = assets[-1]
    assert (srv.glpi_id, srv.type, srv.serial, srv.status) == (
        "57",
        "Serveur",
        "CZ21450LMN",
        "En service",
    )
    assert srv.entity == "Entité racine > Mairie > DSI > Centre de données"
    assert srv.location == "Centre de données > Baie A"
    assert srv.uuid == "30343536-3138-5A43-3231-3435304C4D4E"
    assert srv.where == "Computer id 57"
    assert assets[1].otherserial is None  # GLPI's null is missing, not "None"


def test_html_encoded_names_are_decoded(glpi: GlpiReplay) -> None:
    with client(glpi, page_size=50) as c:
        assets = c.search("NetworkEquipment")
    assert assets[0].entity == "Entité racine > Mairie > DSI > Réseaux & télécoms"
    assert assets[0].uuid is None  # NetworkEquipment has no UUID search option: not asked
    cols = {v for k, v in glpi.requests[1].query if k.startswith("forcedisplay")}
    assert "47" not in cols


def test_the_documented_example_answer_is_read(glpi: GlpiReplay) -> None:
    """apirest.md's own search/Monitor answer: rows keyed by id, Content-Range 0-2/2."""
    glpi.exchanges["Monitor"] = recorded("search-Monitor-apirest-example.json")
    with client(glpi, page_size=50) as c:
        assets = c.search("Monitor")
    assert [(a.glpi_id, a.name, a.entity) for a in assets] == [
        ("11", "W2242", "Root Entity"),
        ("7", "W2252", "Root Entity"),
    ]


def test_empty_search_has_no_content_range_and_gives_nothing(glpi: GlpiReplay) -> None:
    glpi.rows["PDU"] = []
    with client(glpi) as c:
        assert c.search("PDU") == []


def test_wrong_user_token_is_an_auth_error_without_the_token(glpi: GlpiReplay) -> None:
    c = GlpiClient(glpi.url, SecretStr("not-the-token-xyz"), SecretStr(glpi.app_token))
    with pytest.raises(GlpiAuthError) as exc, c:
        pass
    assert "ERROR_GLPI_LOGIN_USER_TOKEN" in str(exc.value)
    assert "not-the-token-xyz" not in str(exc.value)
    assert glpi.endpoints() == ["initSession"]  # no session, so no killSession


def test_wrong_app_token_is_an_auth_error(glpi: GlpiReplay) -> None:
    c = GlpiClient(glpi.url, SecretStr(glpi.user_token), SecretStr("bad-app-token"))
    with pytest.raises(GlpiAuthError, match="ERROR_WRONG_APP_TOKEN_PARAMETER"), c:
        pass


def test_server_error_mid_way_still_logs_out(
    glpi: GlpiReplay, caplog: pytest.LogCaptureFixture
) -> None:
    glpi.fail_search_at = 2
    caplog.set_level(logging.DEBUG)
    with pytest.raises(GlpiUnavailable, match="ERROR_SQL"), client(glpi) as c:
        c.search("Computer")
    assert glpi.endpoints()[-1] == "killSession"
    logged = caplog.text
    assert glpi.user_token not in logged and glpi.app_token not in logged and SESSION not in logged


def test_range_past_the_end_is_a_protocol_error(glpi: GlpiReplay) -> None:
    glpi.exchanges["PDU"] = {
        "status": 400,
        "headers": {},
        "body": ["ERROR_RANGE_EXCEED_TOTAL", "Provided range exceed total count of data: 0"],
    }
    with pytest.raises(GlpiProtocolError, match="ERROR_RANGE_EXCEED_TOTAL"), client(glpi) as c:
        c.search("PDU")


def test_a_page_that_does_not_follow_the_range_is_refused(glpi: GlpiReplay) -> None:
    body = {"totalcount": 3, "count": 1, "data": [{"1": "x", "2": 9}]}
    glpi.exchanges["PDU"] = {"status": 206, "headers": {"Content-Range": "5-5/3"}, "body": body}
    with pytest.raises(GlpiProtocolError, match="Content-Range"), client(glpi) as c:
        c.search("PDU")


def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = GlpiClient(f"http://127.0.0.1:{port}/apirest.php", SecretStr("u"), timeout_seconds=2)
    with pytest.raises(GlpiUnavailable, match="ConnectError"), c:
        pass


def test_an_asset_listed_twice_across_pages_refuses_the_import(glpi: GlpiReplay) -> None:
    """Rows shift when GLPI's list changes between two pages: the same item comes twice."""
    glpi.rows["PDU"] = glpi.rows["PDU"] * 3
    with client(glpi) as c:
        assets = c.search("PDU")
    out = map_assets(assets, load_mapping(DEPLOY), Inventory([]))
    assert [str(p) for p in out.problems] == [
        "PDU id 1: PDU 'PDU-DC-A': listed twice by GLPI (changed while it was read? run the "
        "import again)"
    ] * 2
