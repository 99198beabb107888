"""Shared helpers for the content tests: build small messages, scan plain text."""

from __future__ import annotations

from milter.content import ContentFacts, Finding, ScanConfig, compile_config
from milter.content.scan import CompiledScanner

DEFAULT = compile_config(ScanConfig())


def message(
    body: str | bytes,
    *,
    subject: str = "test",
    ctype: str = "text/plain; charset=utf-8",
    cte: str = "8bit",
    extra: str = "",
) -> bytes:
    """A minimal RFC 5322 message around `body`."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    head = (
        f"From: a@samen-veilig.nl\r\nTo: b@partner.example\r\nSubject: {subject}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n"
        f"{extra}\r\n"
    )
    return head.encode("utf-8") + raw


def scan(body: str | bytes, scanner: CompiledScanner = DEFAULT, **kwargs: str) -> ContentFacts:
    """Scan `body` as the text/plain body of a message."""
    return scanner.scan_message(message(body, **kwargs))


def finding(body: str | bytes, detector: str, scanner: CompiledScanner = DEFAULT) -> Finding | None:
    """The finding of `detector` for `body`, or None."""
    return scan(body, scanner).by_detector(detector)


def only(*detectors: str) -> CompiledScanner:
    """A scanner running only `detectors`."""
    return compile_config(ScanConfig(detectors=detectors))
