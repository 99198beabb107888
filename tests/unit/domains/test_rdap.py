"""Tests for milter.domains.rdap against a real RDAP server on loopback (tests/support)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from milter.domains.rdap import (
    MessageRdap,
    RdapClient,
    RdapSettings,
    load_bootstrap,
    parse_events,
)
from tests.support.rdapserver import RdapServer, sidn_like

DOMAINS = {
    "nieuwe-kliniek.example": ("2026-11-20", "2026-11-20"),
    "ziekenhuis.example": ("1999-03-01", "2024-05-02"),
}


@pytest.fixture
def rdap(tmp_path: Path):  # type: ignore[no-untyped-def]
    with RdapServer(DOMAINS) as server:
        server.write_bootstrap(tmp_path / "dns.json", ["example"])
        yield server


def settings(tmp_path: Path, **extra: object) -> RdapSettings:
    return RdapSettings(str(tmp_path / "dns.json"), **extra)  # type: ignore[arg-type]


def ask(client: RdapClient, s: RdapSettings, *names: str):  # type: ignore[no-untyped-def]
    return client.gather(s, names, MessageRdap())


def test_sidn_shaped_answer(rdap: RdapServer, tmp_path: Path) -> None:
    """Registration and last changed come from the events; 'last update of RDAP database'
    is not a change of the domain."""
    results: list[str] = []
    found = ask(RdapClient(results.append), settings(tmp_path), "ziekenhuis.example")
    assert found is not None
    facts = found["ziekenhuis.example"]
    assert (facts.state, facts.registered, facts.changed) == (
        "ok",
        dt.date(1999, 3, 1),
        dt.date(2024, 5, 2),
    )
    assert results == ["ok"] and rdap.requests == ["ziekenhuis.example"]


def test_cached_until_ttl(rdap: RdapServer, tmp_path: Path) -> None:
    """A second message asks the cache, not the server; after the TTL the server again."""
    now = [1000.0]
    results: list[str] = []
    client = RdapClient(results.append, clock=lambda: now[0])
    s = settings(tmp_path, cache_ttl_s=60)
    ask(client, s, "ziekenhuis.example")
    ask(client, s, "ziekenhuis.example")
    now[0] += 61
    ask(client, s, "ziekenhuis.example")
    assert results == ["ok", "cached", "ok"]
    assert rdap.requests == ["ziekenhuis.example"] * 2


def test_unknown_domain_is_not_found(rdap: RdapServer, tmp_path: Path) -> None:
    """404 from the registry: not_found."""
    found = ask(RdapClient(), settings(tmp_path), "nergens.example")
    assert found is not None and found["nergens.example"].state == "not_found"


def test_server_down_is_an_error_and_not_cached(rdap: RdapServer, tmp_path: Path) -> None:
    """503: an error (the policy's on_failure decides); the next message asks again."""
    rdap.down = True
    client = RdapClient()
    first = ask(client, settings(tmp_path), "ziekenhuis.example")
    assert first is not None and first["ziekenhuis.example"].state == "error"
    assert first["ziekenhuis.example"].error == "RDAP HTTP 503"
    rdap.down = False
    again = ask(client, settings(tmp_path), "ziekenhuis.example")
    assert again is not None and again["ziekenhuis.example"].state == "ok"


def test_silent_server_times_out(rdap: RdapServer, tmp_path: Path) -> None:
    """A server that never answers ends in an error within the timeout, counted timeout."""
    rdap.silent = True
    results: list[str] = []
    found = ask(
        RdapClient(results.append), settings(tmp_path, timeout_ms=200), "ziekenhuis.example"
    )
    assert found is not None and found["ziekenhuis.example"].error == "RDAP timed out"
    assert results == ["timeout"]


def test_nothing_listening_is_an_error(tmp_path: Path) -> None:
    """A bootstrap naming a port where nothing listens: error, never an exception."""
    with RdapServer({}) as server:
        server.write_bootstrap(tmp_path / "dns.json", ["example"])
    found = ask(RdapClient(), settings(tmp_path), "ziekenhuis.example")
    assert found is not None and found["ziekenhuis.example"].state == "error"


def test_no_service_for_tld(rdap: RdapServer, tmp_path: Path) -> None:
    """A TLD the bootstrap does not cover: error naming the TLD."""
    found = ask(RdapClient(), settings(tmp_path), "partner.org")
    assert found is not None and found["partner.org"].error == "no RDAP service for .org"
    assert rdap.requests == []


def test_plain_http_only_on_loopback(tmp_path: Path) -> None:
    """http:// is used only for loopback hosts; a registry in clear text is never asked."""
    path = tmp_path / "dns.json"
    path.write_text(
        json.dumps(
            {
                "services": [
                    [["example"], ["http://rdap.registry.example/"]],
                    [["test"], ["http://rdap.registry.test/", "https://rdap.registry.test/v1"]],
                    [["local"], ["http://127.0.0.1:9/"]],
                ]
            }
        )
    )
    assert load_bootstrap(str(path)) == {
        "test": "https://rdap.registry.test/v1/",
        "local": "http://127.0.0.1:9/",
    }


def test_broken_bootstrap_is_an_error(tmp_path: Path) -> None:
    """A bootstrap that is not RFC 9224's shape: the look-up is an error."""
    (tmp_path / "dns.json").write_text('{"services": "nope"}')
    found = ask(RdapClient(), settings(tmp_path), "ziekenhuis.example")
    assert found is not None and found["ziekenhuis.example"].error == "bootstrap: ValueError"


def test_budget_shared_by_a_message(rdap: RdapServer, tmp_path: Path) -> None:
    """Once one message's budget is used, further domains are not asked (error)."""
    rdap.silent = True
    results: list[str] = []
    s = settings(tmp_path, timeout_ms=200, budget_ms=200)
    found = ask(RdapClient(results.append), s, "ziekenhuis.example", "nieuwe-kliniek.example")
    assert found is not None
    assert {f.state for f in found.values()} == {"error"}
    assert results == ["timeout", "timeout"] and rdap.requests == ["ziekenhuis.example"]


def test_parse_events_ignores_unknown_shapes() -> None:
    """Events without a date or with another action are ignored."""
    doc = sidn_like("a.example", "2020-01-02", None)
    doc["events"].append({"eventAction": "expiration", "eventDate": "2030-01-01T00:00:00Z"})
    doc["events"].append({"eventAction": "last changed", "eventDate": "garbage"})
    assert parse_events(doc) == (dt.date(2020, 1, 2), None)


def test_check_shows_the_rdap_facts(
    rdap: RdapServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`postwarden check` asks RDAP for a dossier's external domain and shows the dates and
    the age that held it; --offline asks nothing and says so."""
    from milter.cli.main import main
    from tests.unit.policy.test_loader_refusals import append

    today = dt.datetime.now(dt.UTC).date()
    rdap.domains["nieuwe-kliniek.example"] = ((today - dt.timedelta(days=3)).isoformat(), None)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        append(
            "content:\n  rules:\n    - id: new-domain\n"
            "      when: {all: [{detector: bsn}, {domain_registered_within: 30d}]}\n"
            f"      action: quarantine\nrdap: {{bootstrap: {tmp_path}/dns.json}}\n"
        )
    )
    dossier = Path(__file__).resolve().parents[2] / "corpus" / "dossier_gewijzigd_extern.eml"
    argv = ["check", "--policy", str(policy), "--from", "j@samen-veilig.nl"]
    argv += ["--to", "arts@nieuwe-kliniek.example", str(dossier)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    when = (today - dt.timedelta(days=3)).isoformat()
    assert out.startswith("message: QUARANTINE")
    assert f"age:     nieuwe-kliniek.example registered {when}, 3 days ago" in out
    assert f"rdap:    nieuwe-kliniek.example: registered {when}, last changed -" in out
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["domain_age"][0]["age_days"] == 3
    assert doc["rdap"]["nieuwe-kliniek.example"]["state"] == "ok"
    asked = len(rdap.requests)
    assert main([*argv, "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("message: ACCEPT") and "domain_age" in out
    assert len(rdap.requests) == asked


def test_nothing_to_ask_is_none(tmp_path: Path) -> None:
    """No domain to ask (mail without client data): no answers at all, not an empty set that
    would read as 'asked, not answered'."""
    assert RdapClient().gather(settings(tmp_path), [], MessageRdap()) is None
