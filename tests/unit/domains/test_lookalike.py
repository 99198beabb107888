"""Lookalike domains: table of real and imitated names against the example's owned domains."""

from __future__ import annotations

import time

import idna
import pytest

from milter.core.address import normalise_domain
from milter.domains import lookalike
from milter.domains.lookalike import LookalikeIndex, skeleton

OWNED = ("samen-veilig.nl", "veiligthuisutrecht.nl")
ALLOW = ("samenveilig.be", "partner-veilig.nl")
INDEX = LookalikeIndex(OWNED, allow=ALLOW)

CYRILLIC_E = "\u0435"  # looks exactly like Latin 'e'
CYRILLIC_O = "\u043e"
GREEK_NU = "\u03bd"  # looks like Latin 'v'
FULLWIDTH_SAMEN = "\uff53\uff41\uff4d\uff45\uff4e"


def a_label(name: str) -> str:
    """The name as Postwarden sees it after address parsing: normalised A-labels."""
    return normalise_domain(name)


class TestLookalikeIndex:
    @pytest.mark.parametrize(
        ("domain", "owned", "kind"),
        [
            # TLD swaps: our name under another suffix
            ("samen-veilig.com", "samen-veilig.nl", "tld swap"),
            ("samen-veilig.org", "samen-veilig.nl", "tld swap"),
            ("samen-veilig.co.uk", "samen-veilig.nl", "tld swap"),
            ("mail.samen-veilig.eu", "samen-veilig.nl", "tld swap"),
            ("veiligthuisutrecht.org", "veiligthuisutrecht.nl", "tld swap"),
            # hyphens added or dropped
            ("samenveilig.nl", "samen-veilig.nl", "hyphen"),
            ("samen-veil-ig.nl", "samen-veilig.nl", "hyphen"),
            ("veilig-thuis-utrecht.nl", "veiligthuisutrecht.nl", "hyphen"),
            ("samenveilig.com", "samen-veilig.nl", "hyphen"),
            # confusable characters, ASCII
            ("samen-veiIig.nl", "samen-veilig.nl", "homoglyph"),  # capital I, lower-cased
            ("samen-vei1ig.nl", "samen-veilig.nl", "homoglyph"),
            ("samen-ve1l1g.nl", "samen-veilig.nl", "homoglyph"),
            ("sarnen-veilig.nl", "samen-veilig.nl", "homoglyph"),
            ("veiligthuisutrecht.nI", "veiligthuisutrecht.nl", "tld swap"),  # .ni: Nicaragua
            # IDN homographs (arrive as xn-- A-labels)
            (f"samen-v{CYRILLIC_E}ilig.nl", "samen-veilig.nl", "homoglyph"),
            (f"samen-v{CYRILLIC_E}ilig.com", "samen-veilig.nl", "homoglyph"),
            (f"veiligthuisutr{CYRILLIC_E}cht.nl", "veiligthuisutrecht.nl", "homoglyph"),
            (
                f"veiligthuisutrecht.nl.{CYRILLIC_O}rg",
                "veiligthuisutrecht.nl",
                "owned name in subdomain",
            ),
            (f"samen-{GREEK_NU}eilig.nl", "samen-veilig.nl", "homoglyph"),
            ("sámen-veilig.nl", "samen-veilig.nl", "homoglyph"),
            (f"{FULLWIDTH_SAMEN}-veilig.nl", None, None),  # UTS-46 maps fullwidth to ours
            # typing errors
            ("samen-veilg.nl", "samen-veilig.nl", "edit distance 1"),
            ("samen-vielig.nl", "samen-veilig.nl", "edit distance 1"),
            ("samen-veiligg.nl", "samen-veilig.nl", "edit distance 1"),
            ("zamen-veilig.nl", "samen-veilig.nl", "edit distance 1"),
            ("amen-veilig.nl", "samen-veilig.nl", "edit distance 1"),
            ("samen-veilign.com", "samen-veilig.nl", "edit distance 1"),
            ("samen-vejlg.nl", "samen-veilig.nl", "edit distance 2"),
            ("veiligthuisutrect.nl", "veiligthuisutrecht.nl", "edit distance 1"),
            ("samen-veilignl.nl", "samen-veilig.nl", "edit distance 2"),
            # what only dnstwist's permutations find
            ("sam.en-veilig.nl", "samen-veilig.nl", "dnstwist:subdomain"),
            ("samen-veilig-nl.com", "samen-veilig.nl", "dnstwist:various"),
            # our name in front of someone else's domain
            ("samen-veilig.nl.example", "samen-veilig.nl", "owned name in subdomain"),
            ("samen-veilig.mailer.example", "samen-veilig.nl", "owned name in subdomain"),
            # ours, and subdomains of ours
            ("samen-veilig.nl", None, None),
            ("SAMEN-VEILIG.NL.", None, None),
            ("jeugd.samen-veilig.nl", None, None),
            ("mail.veiligthuisutrecht.nl", None, None),
            # partners on the allow-list, and their subdomains
            ("samenveilig.be", None, None),
            ("mail.samenveilig.be", None, None),
            ("partner-veilig.nl", None, None),
            # real, unrelated names
            ("gmail.com", None, None),
            ("outlook.com", None, None),
            ("ziekenhuis.example", None, None),
            ("veiligthuis.nl", None, None),  # contains our word, distance 7
            ("utrecht.nl", None, None),
            ("samen.nl", None, None),
            ("samenveiligheid.nl", None, None),  # distance 3
            ("veilig-samen.nl", None, None),
            ("bjzutrecht.nl", None, None),
            ("nl", None, None),
            ("co.uk", None, None),
            ("github.io", None, None),
        ],
    )
    def test_match(self, domain: str, owned: str | None, kind: str | None) -> None:
        """Each name is flagged as imitating the right owned domain, the right way, or not."""
        found = INDEX.match(a_label(domain))
        assert (found and (found.owned, found.kind)) == (owned and (owned, kind))
        if found is not None:
            assert found.domain == a_label(domain)

    def test_partner_allowed_although_it_looks_like_ours(self) -> None:
        """Without its allow-list entry a similar partner name would be flagged."""
        bare = LookalikeIndex(OWNED)
        assert bare.match("samenveilig.be") is not None
        assert INDEX.match("samenveilig.be") is None

    def test_short_names_only_match_at_distance_one(self) -> None:
        """Owned names of 5 characters or fewer match at edit distance 1, never 2."""
        short = LookalikeIndex(["bjzu.nl"])
        found = short.match("bjzv.nl")
        assert found is not None and found.kind == "edit distance 1"
        assert short.match("bqzv.nl") is None  # distance 2 from a short name
        longer = LookalikeIndex(["bjzutrecht.nl"]).match("bqzutrecjt.nl")
        assert longer is not None and longer.kind == "edit distance 2"

    def test_max_distance_one_is_stricter(self) -> None:
        """max_distance=1 drops distance-2 names that are not caught otherwise."""
        strict = LookalikeIndex(OWNED, max_distance=1)
        assert strict.match("samen-vejlg.nl") is None
        assert INDEX.match("samen-vejlg.nl") is not None

    def test_permutations_built_once(self) -> None:
        """The index holds dnstwist's permutations of every owned domain (about 1,100)."""
        assert 900 <= INDEX.permutation_count <= 1500

    def test_repeated_domains_come_from_a_bounded_cache(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A domain asked again gets the same answer without recomputing; the cache is bounded."""
        index = LookalikeIndex(OWNED)
        first = index.match("samen-veilg.nl")
        monkeypatch.setattr(index, "_match", lambda _domain: None)
        assert first is not None and index.match("samen-veilg.nl") == first
        monkeypatch.setattr(lookalike, "MATCH_CACHE_SIZE", 3)
        for n in range(10):
            index.match(f"partner{n}.example")
        assert len(index._matches) <= 3
        assert index.match("samen-veilg.nl") is None  # evicted, recomputed (by the stub)

    def test_match_is_fast(self) -> None:
        """match() costs well under a millisecond per recipient."""
        names = [a_label(n) for n in ("gmail.com", "samen-veilg.nl", "sam.en-veilig.nl")] * 100
        started = time.perf_counter()
        for name in names:
            INDEX.match(name)
        assert (time.perf_counter() - started) / len(names) < 0.001

    def test_no_owned_domains_matches_nothing(self) -> None:
        """An index without owned domains never matches."""
        assert LookalikeIndex([]).match("samen-veilig.nl") is None

    @pytest.mark.parametrize(
        ("owned", "allow", "max_distance"),
        [(["nl"], [], 2), (["not a domain"], [], 2), (["samen-veilig.nl"], ["x..y"], 2),
         (["samen-veilig.nl"], [], 0)],
    )  # fmt: skip
    def test_bad_input_refused(self, owned: list[str], allow: list[str], max_distance: int) -> None:
        """Public suffixes, invalid names and a zero distance are refused loudly."""
        with pytest.raises(ValueError):
            LookalikeIndex(owned, allow, max_distance)


class TestSkeleton:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("samen-veilig", "samen-velllg"),
            (f"samen-v{CYRILLIC_E}ilig", "samen-velllg"),
            ("samen-vei1ig", "samen-velllg"),
            ("sarnen", "samen"),
            ("g00gle", "google"),
            ("vvater", "water"),
            ("clean", "dean"),
            (FULLWIDTH_SAMEN, "samen"),
            ("café", "cafe"),
        ],
    )
    def test_skeleton(self, text: str, expected: str) -> None:
        """Names that render alike get the same skeleton."""
        assert skeleton(text) == expected

    def test_unmapped_script_is_kept(self) -> None:
        """Characters with no ASCII look-alike stay, so they never match an ASCII name."""
        assert skeleton("日本") == "日本"


def test_cyrillic_homograph_is_an_idn() -> None:
    """The homograph test cases really are xn-- names once normalised."""
    assert a_label(f"samen-v{CYRILLIC_E}ilig.nl").startswith("xn--")
    assert idna.decode(a_label(f"samen-v{CYRILLIC_E}ilig.nl")) == f"samen-v{CYRILLIC_E}ilig.nl"
