"""`verify` and `postwarden audit verify`: an intact chain is ok; every kind of tampering is
named at its file:line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from milter.audit.records import GENESIS
from milter.audit.verify import Checkpoint, verify
from milter.cli.main import main
from tests.unit.audit.helpers import build_rotated, lines, rewrite, sha, trail


class TestVerify:
    @pytest.fixture
    def files(self, tmp_path: Path) -> tuple[Path, Path]:
        return build_rotated(tmp_path)

    def check(self, *paths: Path, checkpoints: list[Checkpoint] | None = None) -> str:
        return str(verify([str(p) for p in paths], checkpoints or []))

    def test_intact_chain_is_ok(self, files: tuple[Path, Path]) -> None:
        """Two rotated files verify: records, checkpoints and the head are reported."""
        old, new = files
        result = verify([str(old), str(new)])
        assert result.ok and result.records == 23 and result.checkpoints == 3
        assert result.head == sha(lines(new)[-1])
        assert str(result).startswith("ok: 23 records (seq 1..23) in 2 files, 3 checkpoints")

    def test_files_in_any_order(self, files: tuple[Path, Path]) -> None:
        """Rotated files are put in chain order by their first seq."""
        old, new = files
        assert verify([str(new), str(old)]).ok

    def test_edited_field(self, files: tuple[Path, Path]) -> None:
        """Changing one field is reported at that record."""
        old, new = files
        raw = lines(old)
        raw[4] = raw[4].replace(b'"action":"reject"', b'"action":"accept"')
        rewrite(old, raw)
        assert self.check(old, new).startswith(f"{old}:5: edited: record seq 5 was changed")

    def test_edited_field_in_second_file(self, files: tuple[Path, Path]) -> None:
        """An edit in the newer file is found at its own file:line."""
        old, new = files
        raw = lines(new)
        raw[3] = raw[3].replace(b'"rule":"retired_domain"', b'"rule":"none"')
        rewrite(new, raw)
        assert self.check(old, new).startswith(f"{new}:4: edited:")

    def test_edited_prev_field(self, files: tuple[Path, Path]) -> None:
        """Changing a record's own prev is reported at that record."""
        old, new = files
        raw = lines(old)
        doc = json.loads(raw[5])
        doc["prev"] = "f" * 64
        raw[5] = json.dumps(doc, separators=(",", ":")).encode()
        rewrite(old, raw)
        assert self.check(old, new).startswith(f"{old}:6: edited:")

    def test_edited_seq(self, files: tuple[Path, Path]) -> None:
        """Changing only the seq is reported as an edit of the seq."""
        old, new = files
        raw = lines(old)
        raw[6] = raw[6].replace(b'{"seq":7,', b'{"seq":70,')
        rewrite(old, raw)
        out = self.check(old, new)
        assert out.startswith(f"{old}:7: edited: seq is 70, expected 7")

    def test_deleted_line(self, files: tuple[Path, Path]) -> None:
        """A deleted record is reported at the record after the gap."""
        old, new = files
        raw = lines(old)
        del raw[3]
        rewrite(old, raw)
        out = self.check(old, new)
        assert out == f"{old}:4: deleted: record(s) seq 4 missing before this one"

    def test_deleted_lines_across_the_rotation(self, files: tuple[Path, Path]) -> None:
        """Deleting the first records of the newer file shows as a gap between the files."""
        old, new = files
        rewrite(new, lines(new)[2:])
        out = self.check(old, new)
        assert out.startswith(f"{new}:1: deleted: record(s) seq 12..13 missing")
        assert f"(between {old} and {new})" in out

    def test_missing_rotated_file(self, tmp_path: Path, files: tuple[Path, Path]) -> None:
        """A whole rotated file left out in the middle is a gap too."""
        old, new = files
        log = trail(new)  # continues the chain in a third file after another rotation
        newest = tmp_path / "audit.jsonl.0"
        new.rename(newest)
        log.reopen()
        log.close()
        assert self.check(old, new).startswith(f"{new}:1: deleted: record(s) seq 12..24")

    def test_swapped_lines(self, files: tuple[Path, Path]) -> None:
        """Two records swapped are reported as reordered at the first of them."""
        old, new = files
        raw = lines(new)
        raw[4], raw[5] = raw[5], raw[4]
        rewrite(new, raw)
        out = self.check(old, new)
        assert out.startswith(f"{new}:5: reordered: record seq 17 comes before seq 16")

    def test_inserted_forged_line(self, files: tuple[Path, Path]) -> None:
        """A forged record that links to its predecessor is caught at the next genuine one."""
        old, new = files
        raw = lines(old)
        forged = {
            "seq": 5,
            "time": "2026-01-01T00:00:00.000000Z",
            "kind": "message",
            "node": "mx1",
            "n": 99,
            "action": "accept",
            "prev": sha(raw[3]),
        }
        raw.insert(4, json.dumps(forged, separators=(",", ":")).encode())
        rewrite(old, raw)
        out = self.check(old, new)
        assert out.startswith(f"{old}:5: inserted: two records claim seq 5")

    def test_inserted_naive_line(self, files: tuple[Path, Path]) -> None:
        """A record copied from elsewhere, pasted in, is reported as inserted."""
        old, new = files
        raw = lines(old)
        raw.insert(6, lines(new)[3])
        rewrite(old, raw)
        out = self.check(old, new)
        assert out == f"{old}:7: inserted: a copy of the record at {new}:4 (seq 15)"

    def test_inserted_blank_line(self, files: tuple[Path, Path]) -> None:
        """Even an empty line is an insertion."""
        old, new = files
        raw = lines(new)
        raw.insert(2, b"")
        rewrite(new, raw)
        assert self.check(old, new) == f"{new}:3: inserted: an empty line"

    def test_truncated_tail_against_checkpoint(self, files: tuple[Path, Path]) -> None:
        """Cutting the tail after an exported checkpoint is reported as truncated."""
        old, new = files
        rewrite(new, lines(new)[:-3])
        assert verify([str(old), str(new)]).ok  # the file alone cannot tell
        out = self.check(old, new, checkpoints=[Checkpoint(23)])
        assert out == (
            f"{new}:9: truncated: the chain ends at seq 20, but seq 23 was written (checkpoint)"
        )

    def test_incomplete_last_line(self, files: tuple[Path, Path]) -> None:
        """A half line at the end of a file is truncation."""
        old, new = files
        new.write_bytes(new.read_bytes()[:-20])
        assert self.check(old, new) == f"{new}:12: truncated: the last line is incomplete"

    def test_rewritten_chain_caught_by_checkpoint_hash(self, files: tuple[Path, Path]) -> None:
        """A chain recomputed after an edit verifies alone but not against a checkpoint hash."""
        old, new = files
        witness = Checkpoint(23, sha(lines(new)[-1])[:12])
        assert verify([str(old), str(new)], [witness]).ok
        forged = []
        prev = GENESIS
        for line in lines(old) + lines(new):
            doc = json.loads(line)
            if doc.get("n") == 3:
                doc["action"] = "accept"
            doc["prev"] = prev
            raw = json.dumps(doc, separators=(",", ":")).encode()
            forged.append(raw)
            prev = sha(raw)
        rewrite(old, forged[:11])
        rewrite(new, forged[11:])
        assert verify([str(old), str(new)]).ok
        out = self.check(old, new, checkpoints=[witness])
        assert out.startswith(f"{new}:12: edited: record seq 23 has hash")

    def test_partial_chain_is_noted(self, files: tuple[Path, Path]) -> None:
        """Verifying only the newest file is ok, with a note that earlier records were skipped."""
        _, new = files
        out = self.check(new)
        assert out.startswith("ok: 12 records (seq 12..23)") and "starts at seq 12" in out

    def test_gzipped_rotated_file(self, files: tuple[Path, Path]) -> None:
        """logrotate's compressed files are read as they are."""
        old, new = files
        packed = old.with_name("audit.jsonl.2.gz")
        packed.write_bytes(gzip.compress(old.read_bytes()))
        assert verify([str(new), str(packed)]).ok


class TestVerifyCommand:
    def test_ok_exits_0(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`audit verify` prints 'ok: N records ... head HASH' and exits 0."""
        old, new = build_rotated(tmp_path)
        capsys.readouterr()
        assert main(["audit", "verify", str(new), str(old), "--expect-seq", "23"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("ok: 23 records") and sha(lines(new)[-1]) in out

    def test_broken_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A broken chain prints file:line: kind: detail and exits 1."""
        old, new = build_rotated(tmp_path)
        head = sha(lines(new)[-1])[:12]
        rewrite(new, lines(new)[:-1])
        capsys.readouterr()
        code = main(["audit", "verify", str(old), str(new), "--checkpoint", f"23:{head}"])
        assert code == 1
        assert capsys.readouterr().out.startswith(f"{new}:11: truncated:")

    def test_bad_checkpoint_is_usage_error(self, tmp_path: Path) -> None:
        """--checkpoint needs SEQ[:HEX]: anything else is a usage error (exit 2)."""
        with pytest.raises(SystemExit) as exc:
            main(["audit", "verify", str(tmp_path / "x"), "--checkpoint", "12:nothex"])
        assert exc.value.code == 2

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not exist exits 2 with its name."""
        assert main(["audit", "verify", str(tmp_path / "nope.jsonl")]) == 2
        assert "nope.jsonl" in capsys.readouterr().err
