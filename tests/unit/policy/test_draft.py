"""`postwarden init`'s draft: postconf values, mail-log counts, YAML the loader takes."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from milter.cli.init import log_findings, read_logs
from milter.policy import load_policy_text
from milter.policy.draft import (
    Draft,
    LogFinding,
    OwnedDraft,
    candidate_domains,
    is_map_reference,
    parse_mail_log,
    render,
    split_postconf,
)

TODAY = dt.date(2026, 12, 7)


def log_line(qid: str, rcpt: str, status: str, extra: str = "250 2.0.0 Ok") -> str:
    return (
        f"Dec  7 10:00:01 mail postfix/smtp[4242]: {qid}: to=<{rcpt}>, "
        f"relay=mx.example[192.0.2.1]:25, delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, "
        f"status={status} ({extra})"
    )


def realistic_log() -> list[str]:
    """A day of a youth-care organisation's outgoing mail: partners, a typo'd lookalike,
    a lapsed domain, local deliveries and noise lines."""
    lines = [
        "Dec  7 09:59:59 mail postfix/smtpd[100]: connect from client.jz-noord.nl[10.0.0.5]",
        "Dec  7 10:00:00 mail postfix/qmgr[99]: 4ABC1: from=<a@jz-noord.nl>, size=2048, nrcpt=1",
        "Dec  7 10:00:02 mail postfix/cleanup[101]: 4ABC1: message-id=<x@jz-noord.nl>",
    ]
    for i in range(40):
        lines.append(log_line(f"A{i}", f"arts{i}@ziekenhuis-noord.nl", "sent"))
    for i in range(25):
        lines.append(log_line(f"B{i}", f"Zorg{i}@Gemeente-Stad.NL", "sent"))
    for i in range(3):
        lines.append(log_line(f"C{i}", f"x{i}@jz-n00rd.nl", "sent"))
    lines.append(log_line("D1", "oud@jz-oud.nl", "sent"))
    lines.append(
        log_line(
            "E1", "iemand@verlopen-domein.nl", "bounced",
            "Host or domain name not found. Name service error for name=verlopen-domein.nl",
        )
    )  # fmt: skip
    lines.append(log_line("F1", "a@gemeente-stad.nl", "deferred", "connect timed out"))
    # A local delivery to ourselves, and a forwarded one (orig_to is not the recipient).
    lines.append(
        "Dec  7 10:01:00 mail postfix/local[300]: G1: to=<b@mail.jz-noord.nl>, "
        "orig_to=<c@other.example>, relay=local, delay=0, status=sent (delivered to mailbox)"
    )
    lines.append(log_line("H1", "undisclosed", "sent"))  # junk: no domain
    return lines


class TestPostconfValues:
    def test_split_on_commas_and_space(self) -> None:
        """postconf lists are separated by commas and/or white space."""
        assert split_postconf(" a.nl,b.nl  c.nl ,\td.nl ") == ["a.nl", "b.nl", "c.nl", "d.nl"]
        assert split_postconf("") == []

    def test_map_references(self) -> None:
        """type:name is a table; a domain, or a bare word, is not."""
        assert is_map_reference("hash:/etc/postfix/relay_domains")
        assert is_map_reference("lmdb:/etc/postfix/virtual")
        assert not is_map_reference("jz-noord.nl")
        assert not is_map_reference("localhost")

    def test_candidates_skip_localhost_hostname_suffixes_and_subdomains(self) -> None:
        """localhost, the host name, single labels and subdomains of a kept domain go; the rest
        stays in order, normalised, once."""
        items = [
            "mail.jz-noord.nl", "jz-noord.nl", "localhost.jz-noord.nl", "localhost",
            "JZ-Oud.nl.", "jz-noord.nl", "localdomain", "co.uk", "sub.jz-oud.nl", "bad_name!",
        ]  # fmt: skip
        kept, skipped = candidate_domains(items, "mail.jz-noord.nl")
        assert kept == ["jz-noord.nl", "jz-oud.nl"]
        text = "\n".join(skipped)
        assert "mail.jz-noord.nl (this machine's host name)" in text
        assert "localhost.jz-noord.nl (localhost)" in text
        assert "localdomain (not a registrable domain)" in text
        assert "co.uk (not a registrable domain)" in text
        assert "sub.jz-oud.nl (covered by its parent domain)" in text
        assert "bad_name! (not a domain name)" in text


class TestMailLog:
    def test_counts_by_status_and_not_found(self) -> None:
        """Deliveries count per domain and status; orig_to and junk addresses do not count."""
        counts = parse_mail_log(realistic_log())
        assert counts.sent["ziekenhuis-noord.nl"] == 40
        assert counts.sent["gemeente-stad.nl"] == 25  # case folded
        assert counts.failed["gemeente-stad.nl"] == 1
        assert counts.not_found == {"verlopen-domein.nl": 1}
        assert counts.sent["mail.jz-noord.nl"] == 1 and "other.example" not in counts.sent
        assert counts.unparsable == 1
        assert counts.domains()[:2] == ["ziekenhuis-noord.nl", "gemeente-stad.nl"]

    def test_gzip_and_plain_logs_read_alike(self, tmp_path: Path) -> None:
        """A rotated .gz log counts the same as the plain one, and several files add up."""
        text = "\n".join(realistic_log()) + "\n"
        plain = tmp_path / "mail.log"
        plain.write_text(text)
        packed = tmp_path / "mail.log.1.gz"
        packed.write_bytes(gzip.compress(text.encode()))
        one, other = read_logs([str(plain)]), read_logs([str(packed)])
        assert one.sent == other.sent and one.not_found == other.not_found
        both = read_logs([str(plain), str(packed)])
        assert both.sent["ziekenhuis-noord.nl"] == 80

    def test_findings_offline(self) -> None:
        """Offline: partners by deliveries sent, our own domains left out, the lookalike marked,
        and the domain Postfix could not find listed from the log alone."""
        counts = parse_mail_log(realistic_log())
        partners, unresolved, lookalikes = log_findings(
            counts, ["jz-noord.nl", "jz-oud.nl"], 3, None
        )
        assert [(p.domain, p.count) for p in partners] == [
            ("ziekenhuis-noord.nl", 40),
            ("gemeente-stad.nl", 25),
            ("jz-n00rd.nl", 3),
        ]
        assert partners[2].why.startswith("jz-noord.nl (") and not partners[0].why
        assert [f.domain for f in unresolved] == ["verlopen-domein.nl"]
        assert [f.domain for f in lookalikes] == ["jz-n00rd.nl"]


def sample_draft(**changes: object) -> Draft:
    values: dict[str, object] = {
        "organisation": 'Jeugdzorg "Noord": regio #1',
        "owned": [
            OwnedDraft("jz-noord.nl", "mydestination", ("mx1.jz-noord.nl",), ("ns1.prov.example",)),
            OwnedDraft("jz-oud.nl", "relay_domains (hash:/etc/postfix/relay)", note="offline"),
            OwnedDraft("jz-web.nl", "--domain", ("mx.jz-web.nl",), None, "no NS record"),
        ],
        "created": TODAY,
        "sources": ["postconf", "DNS"],
        "skipped": ["localhost (localhost)"],
        "partners": [LogFinding("partner.nl", 12), LogFinding("jz-n00rd.nl", 3, "homoglyph")],
        "unresolved": [LogFinding("weg.nl", 2, "does not exist in DNS")],
        "lookalikes": [LogFinding("jz-n00rd.nl", 3, "jz-noord.nl (homoglyph)")],
    }
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


class TestRender:
    def test_draft_loads_with_expectations_and_monitor_rules(self) -> None:
        """The draft passes the loader: owned domains with DNS's MX/NS as expect, no retired
        domains, lookalikes held, and every content rule in monitor mode."""
        policy = load_policy_text(render(sample_draft()), "draft.yaml")
        assert policy.organisation == 'Jeugdzorg "Noord": regio #1'
        owned = {o.domain: o.expect for o in policy.owned_domains}
        assert set(owned) == {"jz-noord.nl", "jz-oud.nl", "jz-web.nl"}
        noord = owned["jz-noord.nl"]
        assert noord is not None and noord.mx == ("mx1.jz-noord.nl",)
        assert noord.ns == ("ns1.prov.example",)
        assert owned["jz-oud.nl"] is None
        web = owned["jz-web.nl"]
        assert web is not None and web.mx == ("mx.jz-web.nl",) and web.ns == ()
        assert policy.retired_domains == ()
        assert policy.lookalikes is not None and policy.lookalikes.action == "quarantine"
        assert policy.lookalikes.allow == ()
        assert policy.content is not None
        modes = {r.id: r.mode for r in policy.content.rules}
        assert modes == {
            "client-data-external": "monitor",
            "iban-external": "monitor",
            "unscannable-external": "monitor",
            "truncated-external": "monitor",
        }

    def test_comments_carry_todos_candidates_and_findings(self) -> None:
        """The officer reads TODOs for missing MX/NS, partner candidates with counts (the
        lookalike marked), domains that do not resolve, and a retired-domain example."""
        text = render(sample_draft())
        assert "# TODO: MX and NS: offline." in text
        assert "# TODO: NS: no NS record." in text
        assert "#   - partner.nl   # 12 sent" in text
        assert "#   - jz-n00rd.nl  # 3 sent  LOOKS LIKE OURS: homoglyph" in text
        assert "#   weg.nl  (2 deliveries; does not exist in DNS)" in text
        assert "#   - domain: old-name.nl" in text and "retired_domains: []" in text
        assert text.rstrip().endswith("...")

    def test_uncommented_partner_still_loads(self) -> None:
        """Uncommenting the allow list as drafted gives a valid policy."""
        text = render(sample_draft()).replace("  # allow:", "  allow:")
        text = text.replace("  #   - partner.nl", "    - partner.nl")
        policy = load_policy_text(text)
        assert policy.lookalikes is not None and policy.lookalikes.allow == ("partner.nl",)

    def test_outside_text_cannot_add_keys(self) -> None:
        """An organisation name with line breaks and YAML syntax becomes one quoted line."""
        name = "Evil\nretired_domains: [x.nl]\n# ..."
        policy = load_policy_text(render(sample_draft(organisation=name)))
        assert policy.organisation == "Evil retired_domains: [x.nl] # ..."
        assert policy.retired_domains == ()

    def test_no_owned_domain_is_refused(self) -> None:
        """A draft needs one owned domain: render refuses rather than write an invalid file."""
        with pytest.raises(ValueError, match="owned domain"):
            render(sample_draft(owned=[]))
