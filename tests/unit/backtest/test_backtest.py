"""``postwarden backtest`` on the realistic corpus and on hand-made archives.

The corpus (tests/corpus/realistic) is written as an mbox and as a Maildir next to its own
directory of .eml files; all three must give the same report, and the report must agree with
the labels test_realistic_corpus.py checks (client data to external recipients held,
ordinary mail delivered).  The envelope comes from the headers, as the backtest of an archive
has no other; the corpus's headers name the manifest's envelope.
"""

from __future__ import annotations

import email
import json
import mailbox
import re
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
import yaml

from milter.backtest.judge import Settings
from milter.backtest.report import as_html, as_text
from milter.backtest.run import backtest
from milter.backtest.tally import Tally
from milter.cli.main import main
from tests.unit.content.corpus_harness import NOW, POLICY, ROOT

CORPUS = ROOT / "tests" / "corpus" / "realistic"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))["messages"]
POLICY_PATH = str(ROOT / "policies" / "example.yaml")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def settings(sender: str | None = None, recipients: tuple[str, ...] = ()) -> Settings:
    return Settings(POLICY_PATH, POLICY.sha256, NOW, sender=sender, recipients=recipients)


def run(paths: list[Path], jobs: int = 1, **kw: Any) -> dict[str, Any]:
    tally = backtest([str(p) for p in paths], settings(**kw), POLICY, jobs, samples=1000)
    return tally.to_json()


def message_id(path: Path) -> str:
    found = MESSAGE_ID.search(path.read_bytes())
    assert found
    return found.group(1).decode()


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The report without what names the source: its paths and the samples' positions (and
    the order of the samples, which follows the source's own order)."""
    rules = [{**r, "samples": sorted(s["message_id"] for s in r["samples"])} for r in doc["rules"]]
    return {**doc, "sources": [s["messages"] for s in doc["sources"]], "rules": rules}


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The corpus as .eml directory (one and two jobs), mbox and Maildir (two jobs)."""
    tmp = tmp_path_factory.mktemp("archives")
    files = sorted(CORPUS.glob("*.eml"))
    box = mailbox.mbox(str(tmp / "sent.mbox"))
    maildir = mailbox.Maildir(str(tmp / "Sent"))
    for path in files:
        box.add(path.read_bytes())
        maildir.add(path.read_bytes())
    box.close()
    return {
        "eml-1": run([CORPUS], jobs=1),
        "eml-2": run([CORPUS], jobs=2),
        "mbox": run([tmp / "sent.mbox"], jobs=2),
        "maildir": run([tmp / "Sent"], jobs=2),
    }


class TestCorpus:
    def test_sources_agree(self, corpus_runs: dict[str, dict[str, Any]]) -> None:
        """The corpus as mbox, as Maildir and as .eml directory gives the same report."""
        kinds = {name: [s["kind"] for s in doc["sources"]] for name, doc in corpus_runs.items()}
        assert kinds == {
            "eml-1": ["eml"],
            "eml-2": ["eml"],
            "mbox": ["mbox"],
            "maildir": ["maildir"],
        }
        want = comparable(corpus_runs["eml-1"])
        assert want["messages"] == len(MANIFEST)
        for name in ("mbox", "maildir"):
            assert comparable(corpus_runs[name]) == want, name

    def test_jobs_do_not_change_the_report(self, corpus_runs: dict[str, dict[str, Any]]) -> None:
        """--jobs 1 and --jobs 2 give identical documents, samples and their order included."""
        assert corpus_runs["eml-1"] == corpus_runs["eml-2"]

    def test_counts_match_the_labels(self, corpus_runs: dict[str, dict[str, Any]]) -> None:
        """Held are exactly the messages labelled quarantine (client data to external
        recipients); everything else is delivered; nothing is unreadable."""
        doc = corpus_runs["eml-1"]
        labelled = {
            message_id(CORPUS / e["file"]) for e in MANIFEST if e["decision"] == "quarantine"
        }
        held = {
            s["message_id"]
            for r in doc["rules"]
            for s in r["samples"]
            if s["action"] == "quarantine"
        }
        assert held == labelled
        assert doc["decisions"]["quarantine"] == len(labelled)
        assert doc["decisions"]["accept"] == len(MANIFEST) - len(labelled)
        assert doc["unreadable"] == 0 and doc["errors"] == []
        rules = {r["rule"]: r for r in doc["rules"]}
        assert rules["client-data-external"]["held"] > 0
        assert {d["detector"] for d in doc["detectors"]} >= {
            "bsn",
            "date_of_birth",
            "case_keywords",
        }

    def test_no_bsn_of_the_corpus_in_any_output(
        self, corpus_runs: dict[str, dict[str, Any]]
    ) -> None:
        """No BSN written in the corpus's text parts appears in the text, JSON or HTML report,
        in any spelling."""
        numbers = corpus_bsns()
        assert len(numbers) >= 40  # the corpus is full of them: the check checks something
        doc = corpus_runs["eml-1"]
        for out in (as_text(doc), json.dumps(doc, ensure_ascii=False), as_html(doc)):
            leaked = [n for n in numbers if any(form in out for form in spellings(n))]
            assert not leaked


def elfproef(digits: str) -> bool:
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def spellings(digits: str) -> list[str]:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return [digits, f"{a} {b} {c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", digits[:4] + "." + digits[4:6]]


def corpus_bsns() -> set[str]:
    """Every 11-proef number written (in any of the BSN spellings) in the corpus's text parts."""
    found: set[str] = set()
    shape = re.compile(r"(?<![\d])(\d{3}[ .-]?\d{3}[ .-]?\d{3}|\d{4}[ .]\d{2}[ .]\d{3})(?!\d)")
    for path in sorted(CORPUS.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
        for part in msg.walk():
            if part.get_content_maintype() != "text":
                continue
            try:
                text = part.get_content()
            except (LookupError, ValueError):
                continue
            for m in shape.finditer(text):
                digits = re.sub(r"\D", "", m.group(1))
                if elfproef(digits) and not digits.startswith("0000"):
                    found.add(digits)
    return found


# -- hand-made archives --------------------------------------------------------------------

BSN = "231456785"  # passes the 11-proef; not one of the known test numbers
assert elfproef(BSN)
CLIENT_MAIL = f"""\
From: Medewerker <m.jansen@samen-veilig.nl>
To: Huisarts <dokter@huisarts.example>
Subject: client {BSN}
Message-ID: <dossier-{BSN}@casetool.samen-veilig.nl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Betreft cliënt in dossier, BSN {BSN[:3]} {BSN[3:6]} {BSN[6:]}, geboortedatum 14-02-2013.
Rekening NL91ABNA0417164300.

--b
Content-Type: text/plain; name="verslag {BSN}.txt"
Content-Disposition: attachment; filename="verslag {BSN}.txt"

Jeugdbescherming dossier {BSN}, BSN {BSN}.
--b--
"""
ORDINARY = """\
From: m.jansen@samen-veilig.nl
To: info@leverancier.example
Subject: bestelling
Message-ID: <order-1@samen-veilig.nl>

Graag 3 dozen printpapier.
"""


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


class TestEnvelope:
    def test_headers_give_the_envelope(self, tmp_path: Path) -> None:
        """From is the sender, To/Cc/Bcc the recipients: client data to outside is held."""
        doc = run([write(tmp_path / "a", {"1.eml": CLIENT_MAIL, "2.eml": ORDINARY})])
        assert doc["decisions"]["quarantine"] == 1 and doc["decisions"]["accept"] == 1
        assert doc["top_senders"] == [{"sender": "m.jansen@samen-veilig.nl", "messages": 1}]
        assert doc["top_recipient_domains"] == [{"domain": "huisarts.example", "messages": 1}]

    def test_to_override(self, tmp_path: Path) -> None:
        """--to replaces the header recipients: the same mail to a colleague is delivered, and
        ordinary mail to a retired domain has that recipient refused."""
        src = write(tmp_path / "a", {"1.eml": CLIENT_MAIL, "2.eml": ORDINARY})
        inside = run([src], recipients=("collega@samen-veilig.nl",))
        assert inside["decisions"] == {**inside["decisions"], "accept": 2, "quarantine": 0}
        retired = run([src], recipients=("oud@bjzutrecht.nl",))
        rules = {r["rule"]: r for r in retired["rules"]}
        assert rules["retired_domain"]["recipient_refused"] == 2
        assert retired["decisions"]["reject"] == 2

    def test_recipients_refused_at_rcpt_do_not_count_for_the_scan(self, tmp_path: Path) -> None:
        """As in the milter, a recipient refused at RCPT (SMTP) is gone before the message
        arrives: client data to a colleague and a retired address is not even scanned (the
        policy's content rules are for external recipients), the retired one is refused."""
        src = write(tmp_path / "a", {"1.eml": CLIENT_MAIL})
        doc = run([src], recipients=("collega@samen-veilig.nl", "oud@bjzutrecht.nl"))
        assert doc["detectors"] == []
        assert [(r["rule"], r["recipient_refused"]) for r in doc["rules"]] == [
            ("retired_domain", 1)
        ]
        assert doc["decisions"]["accept"] == 1

    def test_from_override(self, tmp_path: Path) -> None:
        """--from replaces the From header as the sender."""
        doc = run([write(tmp_path / "a", {"1.eml": CLIENT_MAIL})], sender="tool@samen-veilig.nl")
        assert doc["top_senders"] == [{"sender": "tool@samen-veilig.nl", "messages": 1}]

    def test_header_quirks(self, tmp_path: Path) -> None:
        """An unquoted comma in a display name is not an address; Cc and Bcc count."""
        mail = CLIENT_MAIL.replace("From: Medewerker <", "From: Jansen, M. <").replace(
            "To: Huisarts <dokter@huisarts.example>",
            "To: a@samen-veilig.nl\nCc: x@ggd.example\nBcc: y@school.example",
        )
        doc = run([write(tmp_path / "a", {"1.eml": mail})])
        assert doc["top_senders"] == [{"sender": "m.jansen@samen-veilig.nl", "messages": 1}]
        domains = {r["domain"] for r in doc["top_recipient_domains"]}
        assert domains == {"samen-veilig.nl", "ggd.example", "school.example"}
        assert doc["decisions"]["quarantine"] == 1


class TestMalformed:
    def test_counted_listed_and_the_run_goes_on(self, tmp_path: Path) -> None:
        """Empty files, files without recipients and garbage are unreadable, listed by position
        with a fixed reason; the good messages around them are judged."""
        src = write(
            tmp_path / "mixed",
            {
                "1-good.eml": CLIENT_MAIL,
                "2-empty.eml": b"",
                "3-garbage.eml": bytes(range(256)) * 8,
                "4-norcpt.eml": "From: a@samen-veilig.nl\nSubject: x\n\nhallo\n",
                "5-badmime.eml": ORDINARY.replace(
                    "Subject", "Content-Type: multipart/mixed\nSubject"
                )
                + "--nothing\n\x00\xff",
                "6-good.eml": ORDINARY,
            },
        )
        doc = run([src], jobs=2)
        assert doc["messages"] == 6 and doc["judged"] == 3 and doc["unreadable"] == 3
        reasons = {Path(e["position"]).name: e["reason"] for e in doc["errors"]}
        assert reasons == {
            "2-empty.eml": "empty message",
            "3-garbage.eml": "no recipients (To/Cc/Bcc empty; use --to)",
            "4-norcpt.eml": "no recipients (To/Cc/Bcc empty; use --to)",
        }
        assert doc["decisions"]["quarantine"] == 1 and doc["decisions"]["accept"] == 2
        assert "unreadable messages: 3" in as_text(doc)
        assert "4-norcpt.eml" in as_html(doc)


class TestNoClientDataInOutput:
    def test_cli_text_json_html(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The BSN (in body, subject, file name, Message-ID and the file's own name), the date of
        birth and the IBAN appear in no output format; the masked samples do."""
        src = write(tmp_path / "a", {f"export-{BSN}.eml": CLIENT_MAIL, "2.eml": ORDINARY})
        html = tmp_path / "report.html"
        outputs = []
        for extra in ([], ["--json", "--html", str(html)]):
            code = main(["backtest", "--policy", POLICY_PATH, "--jobs", "1", *extra, str(src)])
            assert code == 0
            outputs.append(capsys.readouterr().out)
        outputs.append(html.read_text("utf-8"))
        forbidden = [*spellings(BSN), "14-02-2013", "NL91ABNA0417164300", "NL91 ABNA", "0417164300"]
        for out in outputs:
            assert "*******85" in out  # the masked BSN sample: the findings are there
            assert [f for f in forbidden if f in out] == []
        doc = json.loads(outputs[1])
        assert doc["version"] == 1 and doc["decisions"]["quarantine"] == 1


class TestCli:
    def test_unknown_source_is_an_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A source that is no archive stops the run with exit 2, naming it."""
        (tmp_path / "notes.txt").write_text("hello")
        code = main(["backtest", "--policy", POLICY_PATH, str(tmp_path / "notes.txt")])
        assert code == 2
        assert f"{tmp_path / 'notes.txt'}: not an mbox" in capsys.readouterr().err


class TestProgress:
    def test_progress_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        """On a terminal the progress line counts messages, held and unreadable on stderr,
        rewriting itself; it ends with a newline. Off a terminal it writes nothing."""
        from milter.backtest.judge import Outcome
        from milter.backtest.run import Progress

        tally = Tally("p", "0" * 64)
        tally.source("s", "eml")
        tally.add(Outcome("a", None, action="quarantine"))
        tally.add(Outcome("b", None, error="empty message"))
        shown = Progress(enabled=True)
        shown.update(tally, force=True)
        shown.done(tally)
        err = capsys.readouterr().err
        assert err.startswith("\rbacktest: 2 messages (") and err.endswith("\n")
        assert "1 held, 0 refused, 1 unreadable" in err
        quiet = Progress(enabled=False)
        quiet.update(tally, force=True)
        quiet.done(tally)
        assert capsys.readouterr().err == ""


class TestTally:
    def test_top_lists_stay_bounded(self) -> None:
        """More distinct senders than the top list keeps: memory stays bounded, the heaviest
        sender stays on top and the document says the counts are estimates."""
        from milter.backtest.judge import Outcome
        from milter.backtest.tally import TOP_CAPACITY

        tally = Tally("p", "0" * 64)
        tally.source("s", "eml")
        for i in range(3 * TOP_CAPACITY):
            tally.add(Outcome(f"m{i}", None, action="quarantine", sender=f"s{i}@x.example"))
            tally.add(Outcome(f"h{i}", None, action="quarantine", sender="heavy@x.example"))
        assert len(tally.senders.counts) == TOP_CAPACITY
        doc = tally.to_json()
        assert doc["top_senders"][0] == {"sender": "heavy@x.example", "messages": 3 * TOP_CAPACITY}
        assert doc["top_estimated"] is True
