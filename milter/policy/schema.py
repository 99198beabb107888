"""Policy schema: the policy sections rendered as the JSON Schema editors check a policy with.

``render()`` turns ``milter.policy.sections.POLICY`` into ``policies/schema.json`` (draft
2020-12): each spec kind becomes its JSON Schema shape, each ``Field``'s title and text the
description an editor shows, a named ``Map`` a definition under ``$defs``. The file is generated,
never edited by hand: ``make schema`` (``python -m milter.policy.schema policies/schema.json``)
writes it, and a test fails when the committed file is not what ``render()`` gives.

The schema is the editor's approximation, the loader is authoritative: what JSON Schema cannot
say (duplicate keys, overlapping domains, unique ids, owned addresses, YAML 1.1 booleans, the
end marker) only ``postwarden policy check`` refuses. Every object it describes is closed
(``additionalProperties: false``), as the loader's mappings are.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

from milter.policy.sections import POLICY
from milter.policy.spec import (
    Address,
    Bool,
    Choice,
    Condition,
    Date,
    Domain,
    Duration,
    Field,
    HostPattern,
    HostPort,
    Identifier,
    Integer,
    List,
    Map,
    Nameserver,
    OwnPhrase,
    Pattern,
    SenderPattern,
    Spec,
    Text,
)
from milter.policy.walk import IDENTIFIER, SENDER_PATTERN

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DEFAULT_TEXT = Text()
# Characters _text_problem refuses that editors can flag: control characters, invisible
# formatting (soft hyphen, bidi marks and overrides, zero-width), line and paragraph separators.
_INVISIBLE = (
    "[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e"
    "\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb]"
)
_LETTER = "[a-zA-Z0-9\\u00a1-\\uffff]"
_LABEL = f"{_LETTER}(?:[a-zA-Z0-9\\u00a1-\\uffff-]{{0,61}}{_LETTER})?"
_NAMESERVER = "^(\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?|[0-9A-Fa-f:.]+)$"
_HOST = "[A-Za-z0-9*\\u00a1-\\uffff]"

# The shapes that get a named definition, with what an editor shows for them.
_SCALAR_DEFS: dict[str, dict[str, Any]] = {
    "text": {
        "description": "One line of text: not empty, at most 200 characters, no line breaks or "
        "control characters. Accented letters are fine. Put it in quotes if it contains ':' or "
        "'#' or is a word like yes, no, on or off.",
        "type": "string",
        "minLength": 1,
        "maxLength": _DEFAULT_TEXT.max_len,
        "pattern": "\\S",
        "not": {"pattern": _INVISIBLE},
    },
    "domain": {
        "title": "Domain name",
        "description": "A domain name such as samen-veilig.nl: at least two labels of letters, "
        "digits and hyphens (not at the start or end of a label), each at most 63 characters. "
        "Upper case, a trailing dot and international names (e.g. zorgcliënt.nl) are accepted; "
        "Postwarden stores the normalised form.",
        "type": "string",
        "pattern": f"^(?![\\s\\S]*\\s)(?=[\\s\\S]{{1,254}}$){_LABEL}(?:\\.{_LABEL})+\\.?$",
    },
    "date": {
        "title": "Date",
        "description": "A calendar date written YYYY-MM-DD, e.g. 2017-12-31. No time of day.",
        "type": "string",
        "format": "date",
        "pattern": "^\\d{4}-\\d{2}-\\d{2}$",
    },
    "identifier": {
        "description": "An id: lower-case letters, digits, '-' and '_', at most 64 characters.",
        "type": "string",
        "pattern": f"^{IDENTIFIER.pattern}$",
    },
    "hostPattern": {
        "description": "A host name; '*' stands for part of one label, e.g. "
        "mx*.samen-veilig.nl or *.mail.protection.outlook.com.",
        "type": "string",
        "pattern": f"^{_HOST}(?:[A-Za-z0-9*\\u00a1-\\uffff.-]{{0,251}}{_HOST})?\\.?$",
    },
}


def render() -> str:
    """The JSON Schema of the policy file, as the text of ``policies/schema.json``."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema of the policy file, as a JSON value."""
    defs: dict[str, Any] = {}
    root = _map(POLICY, defs)
    return {"$schema": DRAFT, **root, "$defs": defs}


def _spec(spec: Spec, defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(spec, Map):
        if spec.name is None:
            return _map(spec, defs)
        if spec.name not in defs:
            defs[spec.name] = {}  # claimed first: a map may (indirectly) contain itself
            defs[spec.name] = _map(spec, defs)
        return _ref(spec.name)
    if isinstance(spec, List):
        out: dict[str, Any] = {"type": "array"}
        if spec.min_items:
            out["minItems"] = spec.min_items
        if spec.max_items is not None:
            out["maxItems"] = spec.max_items
        out["items"] = _spec(spec.item, defs)
        return out
    if isinstance(spec, Condition):
        return _condition(spec, defs)
    if isinstance(spec, Text):
        return _text(spec, defs)
    if isinstance(spec, Integer):
        return _integer(spec)
    if isinstance(spec, Duration):
        return {"type": "string", "pattern": f"^[0-9]{{1,6}}[{spec.units}]$"}
    if isinstance(spec, Choice):
        return {"enum": list(spec.values)}
    if isinstance(spec, Bool):
        return {"type": "boolean"}
    if isinstance(spec, Pattern):
        return {"type": "string", "minLength": 1, "maxLength": 1000}
    if isinstance(spec, Address):
        return {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$", "maxLength": 254}
    if isinstance(spec, SenderPattern):
        return {"type": "string", "pattern": f"^{SENDER_PATTERN.pattern}$"}
    if isinstance(spec, HostPort):
        return {"type": "string", "pattern": "^\\S+:[0-9]{1,5}$"}
    if isinstance(spec, Nameserver):
        return {"type": "string", "pattern": _NAMESERVER}
    if isinstance(spec, OwnPhrase):
        return {"type": "string", "minLength": 4, "maxLength": spec.max_len}
    named = {Domain: "domain", Date: "date", Identifier: "identifier", HostPattern: "hostPattern"}
    return _scalar_ref(named[type(spec)], defs)


def _map(spec: Map, defs: dict[str, Any]) -> dict[str, Any]:
    out = _described(spec.title, spec.doc)
    out |= {"type": "object", "additionalProperties": False}
    required = [key for key, field in spec.fields.items() if field.required]
    if required:
        out["required"] = required
    out["properties"] = {key: _field(field, defs) for key, field in spec.fields.items()}
    if spec.pairs:
        out["allOf"] = [
            {
                "if": {"properties": {p.key: {"const": p.value}}, "required": [p.key]},
                "then": {"required": [p.field]},
                "else": {"not": {"required": [p.field]}},
            }
            for p in spec.pairs
        ]
    return out


def _field(field: Field, defs: dict[str, Any]) -> dict[str, Any]:
    value = _spec(field.spec, defs)
    described = _described(field.title, field.doc)
    if "$ref" in value:  # draft 2020-12 lets a reference carry its own title and description
        return value | described
    return described | {k: v for k, v in value.items() if k not in described}


def _condition(spec: Condition, defs: dict[str, Any]) -> dict[str, Any]:
    if "condition" not in defs:
        defs["condition"] = {}
        nested = {"type": "array", "minItems": 1, "items": _ref("condition")}
        defs["condition"] = {
            "oneOf": [
                _spec(spec.detector, defs),
                *(_spec(keyed, defs) for _, keyed in spec.keyed),
                *(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": [word],
                        "properties": {word: nested},
                    }
                    for word in ("all", "any")
                ),
            ]
        }
    return _ref("condition")


def _text(spec: Text, defs: dict[str, Any]) -> dict[str, Any]:
    if spec == _DEFAULT_TEXT:
        return _scalar_ref("text", defs)
    out: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": spec.max_len}
    out["pattern"] = "\\S"
    if not spec.multiline:
        out["not"] = {"pattern": _INVISIBLE}
    return out


def _integer(spec: Integer) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer"}
    if len(spec.allowed) == 1:
        out["const"] = spec.allowed[0]
    elif spec.allowed:
        out["enum"] = list(spec.allowed)
    if spec.low is not None:
        out["minimum"] = spec.low
    if spec.high is not None:
        out["maximum"] = spec.high
    return out


def _scalar_ref(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    defs.setdefault(name, _SCALAR_DEFS[name])
    return _ref(name)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _described(title: str | None, doc: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if title is not None:
        out["title"] = title
    if doc is not None:
        out["description"] = doc
    return out


def main(argv: list[str]) -> int:
    """``python -m milter.policy.schema [PATH]``: write the schema to PATH (atomically), or print
    it."""
    if len(argv) > 1:
        print("usage: python -m milter.policy.schema [PATH]", file=sys.stderr)
        return 2
    text = render()
    if not argv:
        sys.stdout.write(text)
        return 0
    target = argv[0]
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target) or ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
