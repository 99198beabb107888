"""Policy marks: YAML text -> PyYAML's node tree, every node keeping its line and column.

``compose`` reads one policy document with ``SafeLoader``'s composer (no values are constructed
yet: the walker reads the nodes against the spec and builds values only from checked ones), so
every later issue can name ``file:line:column``.

Refused here, each added to the ``Issues`` with its position: bytes that are not UTF-8 or not
printable; YAML syntax errors; an empty file; more than one YAML document; a document that does
not end with the end marker ``...`` (a file cut short at a line break is otherwise valid YAML);
anchors and aliases (policy files stay plain, one value per key).
"""

from __future__ import annotations

import yaml
from yaml.nodes import Node, ScalarNode

from milter.policy.issues import Issues

TAG = "tag:yaml.org,2002:"
STR, INT, BOOL, NULL = TAG + "str", TAG + "int", TAG + "bool", TAG + "null"
FLOAT, TIMESTAMP, MERGE = TAG + "float", TAG + "timestamp", TAG + "merge"


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that notes every anchor and alias: policy files stay plain, one value per key."""

    def __init__(self, stream: str, issues: Issues) -> None:
        self.plain_issues = issues
        self.plain_end: yaml.DocumentEndEvent | None = None
        super().__init__(stream)

    def compose_document(self) -> Node | None:
        """Composer.compose_document, keeping the document's end event: was '...' written?"""
        self.get_event()  # type: ignore[no-untyped-call]  # DocumentStartEvent
        node = self.compose_node(None, None)
        self.plain_end = self.get_event()  # type: ignore[no-untyped-call]
        self.anchors = {}
        return node

    def compose_node(self, parent: Node | None, index: int | None) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in the stubs
        if isinstance(event, yaml.AliasEvent):
            self.plain_issues.at_mark(
                event.start_mark,
                f"alias '*{event.anchor}' is not allowed",
                "write the value out in full; policy files use no anchors or aliases",
            )
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            self.plain_issues.at_mark(
                event.start_mark,
                f"anchor '&{event.anchor}' is not allowed",
                "write the value out in full; policy files use no anchors or aliases",
            )
        return super().compose_node(parent, index)  # type: ignore[arg-type]  # None for the root


def compose(text: str | bytes, issues: Issues) -> Node | None:
    """The single document's root node, or None with the reason added to ``issues``."""
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, column = _position(data[: exc.start].decode("utf-8", "replace"), None)
            issues.add(
                line,
                column,
                f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                "save the policy as UTF-8 text; is this the right file?",
            )
            return None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        issues.add(1, 1, "the policy file is empty", "start from policies/example.yaml")
        return None
    try:
        loader = _PlainLoader(text, issues)
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        issues.add(
            line,
            column,
            f"the file contains a non-printable character (U+{exc.character:04X})",
            "policy files are plain UTF-8 text; is this the right file?",
        )
        return None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        _syntax_error(exc, issues)
        return None
    finally:
        loader.dispose()
    if root is None or (isinstance(root, ScalarNode) and root.tag == NULL and not root.value):
        issues.add(1, 1, "the policy file is empty", "start from policies/example.yaml")
        return None
    end = loader.plain_end
    if end is None or not end.explicit:
        # A file cut short at a line break between two sections is still valid YAML, and would
        # load without the sections after the cut. The end marker is the proof it is complete.
        issues.at_mark(
            None if end is None else end.start_mark,
            "the policy does not end with '...': the file may be cut short",
            "a policy's last line is '...' (three dots; only comments may follow); check that "
            "the whole file was copied, then add it",
        )
    return root


def _syntax_error(exc: yaml.MarkedYAMLError, issues: Issues) -> None:
    if isinstance(exc, yaml.composer.ComposerError) and exc.problem == "but found another document":
        issues.at_mark(
            exc.problem_mark,
            "only one YAML document is allowed, found a second one",
            "remove this '---' line and what follows, or merge the documents",
        )
        return
    mark = exc.problem_mark or exc.context_mark
    hint = None
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        cm = exc.context_mark
        hint = f"{exc.context} at line {cm.line + 1}, column {cm.column + 1}"
    elif exc.context:
        hint = exc.context
    issues.at_mark(
        mark, f"YAML syntax error: {exc.problem or exc.context or 'malformed YAML'}", hint
    )


def _position(text: str, index: int | None) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (of the end of ``text`` if index is None)."""
    before = text if index is None else text[:index]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
