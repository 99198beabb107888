"""Tests for policies/schema.json: generated from the spec, valid, and in agreement with the loader
on what it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from milter.policy import PolicyError, load_policy_text
from milter.policy.schema import main, render

POLICIES = Path(__file__).resolve().parents[3] / "policies"
SCHEMA: dict[str, Any] = json.loads((POLICIES / "schema.json").read_text(encoding="utf-8"))
EXAMPLE = (POLICIES / "example.yaml").read_text(encoding="utf-8")

VALID = """\
version: 1
organisation: Samen Veilig Midden-Nederland
owned_domains:
  - domain: samen-veilig.nl
retired_domains:
  - domain: bjzutrecht.nl
    retired_since: 2017-12-31
    owner: Hoofd Informatiemanagement
    reply:
      nl: "Dit adres bestaat niet meer; gebruik @samen-veilig.nl."
      en: "This address is retired; use @samen-veilig.nl."
...
"""
END = "...\n"  # the end marker the loader requires (not something JSON Schema can see)


def edit(old: str, new: str) -> str:
    """VALID with ``old`` (which must occur exactly once) replaced by ``new``."""
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


class _EditorLoader(yaml.SafeLoader):
    """Reads timestamps as the strings they were written as, as a YAML 1.2 editor does."""


_EditorLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def as_json(text: str) -> Any:
    """The YAML text as the JSON value a schema validator sees (dates as ISO strings)."""
    return yaml.load(text, Loader=_EditorLoader)


def schema_errors(text: str) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(as_json(text))]


def loader_refuses(text: str) -> bool:
    try:
        load_policy_text(text)
    except PolicyError:
        return True
    return False


DATE_LINE = "retired_since: 2017-12-31"
NL_LINE = 'nl: "Dit adres bestaat niet meer; gebruik @samen-veilig.nl."'
EN_LINE = 'en: "This address is retired; use @samen-veilig.nl."'

INVALID: dict[str, str] = {
    "unknown-top-level-key": edit("version: 1\n", "version: 1\nretired_domain: []\n"),
    "unknown-top-level-key-2": edit(
        "version: 1\n", "version: 1\nlookalike: {action: quarantine}\n"
    ),
    "lookalike-bad-action": edit("version: 1\n", "version: 1\nlookalikes: {action: drop}\n"),
    "dns-bad-on-failure": edit("version: 1\n", "version: 1\ndns: {on_failure: accept}\n"),
    "dns-unknown-key": edit("version: 1\n", "version: 1\ndns: {timeout: 5}\n"),
    "content-without-rules": edit("version: 1\n", "version: 1\ncontent: {}\n"),
    "content-rule-bad-action": edit(
        "version: 1\n",
        "version: 1\ncontent: {rules: [{id: a, when: {detector: bsn}, action: drop}]}\n",
    ),
    "content-rule-bad-id": edit(
        "version: 1\n",
        "version: 1\ncontent: {rules: [{id: 'A B', when: {detector: bsn}, action: flag}]}\n",
    ),
    "content-condition-mixed": edit(
        "version: 1\n",
        "version: 1\ncontent: {rules: [{id: a, when: {all: [{detector: bsn}], detector: iban},"
        " action: flag}]}\n",
    ),
    "ocr-unknown-key": edit(
        "version: 1\n",
        "version: 1\ncontent: {ocr: {enable: false}, rules: []}\n",
    ),
    "ocr-budget-beyond-milter-budget": edit(
        "version: 1\n",
        "version: 1\ncontent: {ocr: {time_budget_ms: 30000}, rules: []}\n",
    ),
    "ocr-enabled-not-bool": edit(
        "version: 1\n",
        "version: 1\ncontent: {ocr: {enabled: 'no'}, rules: []}\n",
    ),
    "ocr-zero-pages": edit(
        "version: 1\n",
        "version: 1\ncontent: {ocr: {max_pages: 0}, rules: []}\n",
    ),
    "exception-missing-ticket": edit(
        "version: 1\n",
        "version: 1\nexceptions: [{sender: a@b.nl, rule: r, to_domain: c.nl, owner: FG,"
        " reason: x, expires: 2027-01-01}]\n",
    ),
    "redirect-to-without-redirect": edit(
        "    reply:\n", "    redirect_to: x@samen-veilig.nl\n    reply:\n"
    ),
    "unknown-retired-key": edit("    reply:\n", "    notify_sendr: true\n    reply:\n"),
    "unknown-owned-key": edit("samen-veilig.nl\n", "samen-veilig.nl\n    expects: {mx: [a.nl]}\n"),
    "unknown-reply-key": edit("      en:", "      de: Weg.\n      en:"),
    "int-where-text": edit("owner: Hoofd Informatiemanagement", "owner: 42"),
    "bool-where-text": edit("owner: Hoofd Informatiemanagement", "owner: yes"),
    "string-where-list": edit("owned_domains:\n  - domain: samen-veilig.nl", "owned_domains: a.nl"),
    "list-where-mapping": edit("  - domain: samen-veilig.nl", "  - [samen-veilig.nl]"),
    "null-where-list": edit("owned_domains:\n  - domain: samen-veilig.nl", "owned_domains:"),
    "missing-owner": edit("    owner: Hoofd Informatiemanagement\n", ""),
    "missing-organisation": edit("organisation: Samen Veilig Midden-Nederland\n", ""),
    "missing-retired-domains": VALID.split("retired_domains:")[0] + END,
    "missing-reply-nl": edit(f"      {NL_LINE}\n", ""),
    "empty-owned-domains": edit("owned_domains:\n  - domain: samen-veilig.nl", "owned_domains: []"),
    "date-day-first": edit(DATE_LINE, "retired_since: 31-12-2017"),
    "date-impossible": edit(DATE_LINE, "retired_since: 2017-13-01"),
    "date-with-time": edit(DATE_LINE, "retired_since: 2017-12-31 10:00:00"),
    "date-short-month": edit(DATE_LINE, "retired_since: 2017-1-31"),
    "domain-underscore": edit("bjzutrecht.nl", "bjz_utrecht.nl"),
    "domain-empty-label": edit("bjzutrecht.nl", "a..b"),
    "domain-long-label": edit("bjzutrecht.nl", "a" * 64 + ".nl"),
    "domain-leading-hyphen": edit("bjzutrecht.nl", "-bjzutrecht.nl"),
    "domain-single-label": edit("bjzutrecht.nl", "localhost"),
    "domain-space": edit("bjzutrecht.nl", '"bjz utrecht.nl"'),
    "reply-too-long": edit(EN_LINE, "en: " + "x" * 201),
    "reply-empty": edit(EN_LINE, 'en: ""'),
    "reply-blank": edit(EN_LINE, 'en: "   "'),
    "reply-newline": edit(EN_LINE, 'en: "two\\nlines"'),
    "reply-trailing-newline": edit(EN_LINE, "en: |\n        one line\n"),
    "reply-bidi-override": edit(EN_LINE, 'en: "evil \\u202Etxt.exe"'),
    "version-2": edit("version: 1", "version: 2"),
    "version-string": edit("version: 1", "version: '1'"),
    "version-bool": edit("version: 1", "version: true"),
    "action-redirect": edit("    reply:\n", "    action: redirect\n    reply:\n"),
    "top-level-list": "- version: 1\n",
    "own-phrases-empty": edit(
        "version: 1\n", "version: 1\ncontent: {own_phrases: [], rules: []}\n"
    ),
    "own-phrase-short": edit(
        "version: 1\n", "version: 1\ncontent: {own_phrases: [VT], rules: []}\n"
    ),
    "own-phrase-not-text": edit(
        "version: 1\n", "version: 1\ncontent: {own_phrases: [{a: b}], rules: []}\n"
    ),
}

VALID_VARIANTS: dict[str, str] = {
    "base": VALID,
    "example": EXAMPLE,
    "no-retired-domains": VALID.split("retired_domains:")[0] + "retired_domains: []\n" + END,
    "domain-upper-case-trailing-dot": edit("bjzutrecht.nl", "BJZUTRECHT.NL."),
    "domain-idn": edit("samen-veilig.nl\n", "zorgcliënt.nl\n"),
    "domain-a-label": edit("samen-veilig.nl\n", "xn--zorgclint-e3a.nl\n"),
    "quoted-date": edit(DATE_LINE, 'retired_since: "2017-12-31"'),
    "action-refuse": edit("    reply:\n", "    action: refuse\n    reply:\n"),
    "flow-style-reply": edit(
        f"    reply:\n      {NL_LINE}\n      {EN_LINE}\n",
        "    reply: {nl: Weg., en: Gone.}\n",
    ),
    "unicode-reply-with-percent": edit(EN_LINE, 'en: "Cliënt 100% veilig — gebruik @x.nl."'),
    "reply-exactly-200": edit(EN_LINE, "en: " + "x" * 200),
    "quoted-yes-owner": edit("owner: Hoofd Informatiemanagement", 'owner: "yes"'),
    "owned-expect": edit(
        "samen-veilig.nl\n",
        "samen-veilig.nl\n    expect: {mx: [mx1.samen-veilig.nl, '*.mail.protection.outlook.com'],"
        " ns: [ns1.provider.example]}\n",
    ),
    "dns-and-lookalikes": edit(
        "version: 1\n",
        "version: 1\ndns: {nameservers: ['127.0.0.1:5353', '[::1]:53'], timeout_ms: 500,"
        " budget_ms: 1500, on_failure: accept_and_flag, refuse_nonexistent: false}\n"
        "lookalikes: {action: quarantine, allow: [partner-veilig.nl], max_distance: 2}\n",
    ),
    "first-contact": edit(
        "version: 1\n",
        "version: 1\nhistory: {store: /var/lib/postwarden/h.sqlite, key_file: /k, on_failure:"
        " treat_as_first}\ncontent:\n  rules:\n    - id: first-contact\n      when: {all:"
        " [{detector: bsn}, {first_contact: address, kind: any}]}\n      action: quarantine\n",
    ),
    "domain-age": edit(
        "version: 1\n",
        "version: 1\nrdap: {bootstrap: /etc/postwarden/dns.json, timeout_ms: 1000, budget_ms:"
        " 3000, cache_ttl_s: 3600, on_failure: accept_and_flag}\ncontent:\n  rules:\n"
        "    - id: new-domain\n      when: {all: [{detector: bsn}, {any: [{domain_registered_"
        "within: 30d}, {domain_changed_within: 7d}]}]}\n      action: quarantine\n",
    ),
    "content-rules": edit(
        "version: 1\n",
        "version: 1\ncontent:\n  limits: {max_parts: 50}\n  case_keywords: [dossier]\n"
        "  custom_patterns: [{name: clientnr, pattern: 'CL-[0-9]{7}', confidence: high}]\n"
        "  rules:\n    - id: client-data-external\n      when: {any: [{detector: bsn,"
        " confidence: high}, {all: [{detector: case_keywords}, {detector: date_of_birth}]}]}\n"
        "      recipients: external\n      unless: encrypted\n      action: quarantine\n"
        "    - {id: iban, when: {detector: iban, min_count: 2}, action: flag, mode: monitor}\n"
        "    - {id: nr, when: {detector: 'custom:clientnr'}, action: reject, recipients: any}\n",
    ),
    "own-phrases": edit(
        "version: 1\n",
        "version: 1\ncontent:\n  own_phrases: [Veilig Thuis Utrecht, 'KvK 30276543 | IBAN"
        " NL91 ABNA 0417 1643 00']\n  rules: []\n",
    ),
    "content-ocr": edit(
        "version: 1\n",
        "version: 1\ncontent:\n  ocr: {enabled: true, max_image_pixels: 40000000, max_images: 5,"
        " max_pages: 3, time_budget_ms: 8000}\n  rules: []\n",
    ),
    "content-ocr-off": edit(
        "version: 1\n", "version: 1\ncontent: {ocr: {enabled: false}, rules: []}\n"
    ),
    "exceptions": edit(
        "version: 1\n",
        "version: 1\nexceptions:\n  - {sender: '*@samen-veilig.nl', rule: client-data,"
        " to_domain: ziekenhuis.example, owner: FG, reason: crisis, ticket: ISV-1,"
        " expires: 2027-03-31}\n",
    ),
    "redirect-and-notices": edit(
        "    reply:\n",
        "    action: redirect\n    redirect_to: oud@samen-veilig.nl\n    notify_sender: true\n"
        "    reply:\n",
    ).removesuffix(END)
    + "notices:\n  from: postmaster@samen-veilig.nl\n  relay: 127.0.0.1:25\n"
    "  subject: {nl: Oud adres, en: Old address}\n"
    "  body:\n    nl: |\n      Het adres {recipient} bestaat niet meer.\n"
    "    en: |\n      The address {recipient} no longer exists.\n" + END,
}


class TestGenerated:
    def test_committed_file_is_current(self) -> None:
        """policies/schema.json is what the spec renders today (else: run make schema)."""
        assert (POLICIES / "schema.json").read_text(encoding="utf-8") == render()

    def test_render_follows_the_spec(self) -> None:
        """A limit in the spec shows in the schema: owned_domains at most 500, as the loader."""
        from milter.policy.sections import MAX_OWNED_DOMAINS

        owned = json.loads(render())["properties"]["owned_domains"]
        assert owned["maxItems"] == MAX_OWNED_DOMAINS == 500

    def test_main_writes_the_file(self, tmp_path: Path) -> None:
        """python -m milter.policy.schema PATH writes the rendered schema to PATH."""
        target = tmp_path / "schema.json"
        target.write_text("stale", encoding="utf-8")
        assert main([str(target)]) == 0
        assert target.read_text(encoding="utf-8") == render()
        assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]


class TestSchema:
    def test_schema_is_valid_draft_2020_12(self) -> None:
        """schema.json is itself a valid draft 2020-12 schema."""
        Draft202012Validator.check_schema(SCHEMA)
        assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def test_example_declares_schema(self) -> None:
        """example.yaml points editors at the schema on its first line."""
        assert EXAMPLE.splitlines()[0] == "# yaml-language-server: $schema=./schema.json"

    def test_example_validates(self) -> None:
        """example.yaml (dates as ISO strings) is valid against the schema."""
        assert schema_errors(EXAMPLE) == []

    def test_every_object_closed(self) -> None:
        """Every object in the schema refuses unknown keys, as the loader does."""

        def objects(node: Any) -> list[dict[str, Any]]:
            if isinstance(node, dict):
                own = [node] if node.get("type") == "object" else []
                return own + [o for value in node.values() for o in objects(value)]
            if isinstance(node, list):
                return [o for value in node for o in objects(value)]
            return []

        found = objects(SCHEMA)
        assert len(found) >= 4
        assert all(o.get("additionalProperties") is False for o in found)


class TestAgreement:
    @pytest.mark.parametrize("text", INVALID.values(), ids=INVALID.keys())
    def test_both_refuse(self, text: str) -> None:
        """The schema and the loader both refuse the same broken policy."""
        assert schema_errors(text), "schema accepted it"
        assert loader_refuses(text), "loader accepted it"

    @pytest.mark.parametrize("text", VALID_VARIANTS.values(), ids=VALID_VARIANTS.keys())
    def test_both_accept(self, text: str) -> None:
        """The schema and the loader both accept the same valid policy."""
        assert schema_errors(text) == []
        load_policy_text(text)
