# The native content core (milter/native/, Rust): present only when it was built.  Use it
# through milter.content.native, which falls back to the Python code.

class NativeError(RuntimeError): ...

def html_to_text(markup: str) -> str | None: ...
def html_to_utf8(markup: str) -> bytes | None: ...
def _panic_for_test() -> None: ...

class Finder:
    """matcher.py's combined pattern (RE2 syntax, Latin-1 mode); ValueError when refused."""

    def __init__(self, pattern: str) -> None: ...
    def first(self, data: bytes, pos: int, endpos: int) -> list[tuple[int, int]]: ...
    @property
    def prefiltered(self) -> bool: ...
    @property
    def literal_count(self) -> int: ...
    def _count(self, data: bytes) -> int: ...
    def _candidates(self, data: bytes) -> int: ...

class Wire:
    """One milter connection's framing (src/wire.rs); milter/protocol/native.py loads it."""

    def __init__(
        self,
        fd: int,
        wanted_actions: int,
        wanted_protocol: int,
        nr_header: int,
        nr_body: int,
        ignored: list[tuple[int, int]],
        max_packet: int,
        batch: int,
        quickack: bool,
        read_chunk: int,
    ) -> None: ...
    def next_event(
        self, idle_s: float
    ) -> (
        tuple[bytes, bytes, dict[bytes, bytes] | None, list[tuple[bytes, bytes]], bytes | None]
        | None
    ): ...
    @property
    def protocol(self) -> int: ...
    @property
    def held(self) -> int: ...
