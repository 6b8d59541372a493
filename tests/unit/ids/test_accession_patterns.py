"""Accession forms per database, matching of tokens to a record's accessions, and the
manual's table of them (docs/accessions.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import ROOT

from elinkcli.accessions import (
    PATTERNS,
    base,
    is_uid,
    names_record,
    pattern_of,
    readme_table,
    summary_accessions,
    uid_form,
)
from elinkcli.errors import UsageError
from elinkcli.ids.tokens import check_ids

README = ROOT / "docs" / "accessions.md"

# The accessions of the issue, each with its database (real ones, from NCBI's pages).
REAL = [
    ("nuccore", "NM_000546.6"),
    ("nuccore", "NM_000546"),
    ("protein", "NP_000537.3"),
    ("protein", "P04637"),
    ("protein", "1TUP_A"),
    ("bioproject", "PRJNA257197"),
    ("biosample", "SAMN02604091"),
    ("sra", "SRR390728"),
    ("sra", "SRX079566"),
    ("assembly", "GCF_000001405.40"),
    ("assembly", "GCA_000001405.29"),
    ("snp", "rs334"),
    ("pmc", "PMC3531190"),
    ("clinvar", "VCV000012345"),
    ("gds", "GSE12345"),
    ("mesh", "D000001"),
    ("books", "NBK25499"),
]


@pytest.mark.parametrize(("db", "token"), REAL)
def test_real_accessions_fit_their_database(db, token) -> None:
    assert pattern_of(db, token) is not None
    assert check_ids([token], db) == [token]


@pytest.mark.parametrize(
    ("db", "token"),
    [("bioproject", "SRR390728"), ("gene", "NM_000546.6"), ("pubmed", "PMC3531190"),
     ("sra", "PRJNA257197"), ("pmc", "rs334"), ("nuccore", "hello world")],
)  # fmt: skip
def test_a_token_of_no_form_is_refused_with_the_forms_and_esearch(db, token) -> None:
    with pytest.raises(UsageError) as caught:
        check_ids([token], db)
    message = str(caught.value)
    assert f"bad id {token!r} for database {db}" in message
    assert "a numeric UID" in message and "esearch -db" in message
    for p in PATTERNS.get(db, ()):
        assert p.example in message


def test_every_example_fits_its_own_pattern() -> None:
    for db, patterns in PATTERNS.items():
        for p in patterns:
            assert p.regex.fullmatch(p.example), (db, p.example)


@pytest.mark.parametrize(("token", "uid"), [("007", "7"), ("7", "7"), ("0", "0"), ("000", "0")])
def test_uids_lose_leading_zeros(token, uid) -> None:
    assert uid_form(token) == uid


def test_names_record_knows_versions_and_case() -> None:
    accs = ["NM_000546.6", "NM_000546"]
    assert names_record("NM_000546.6", accs)
    assert names_record("nm_000546", accs)
    assert not names_record("NM_000546.5", ["NM_000546.6"])
    assert names_record("NM_000546", ["NM_000546.6"])  # a bare accession: current version
    assert not names_record("NM_00054", accs)
    assert base("GCF_000001405.40") == "GCF_000001405" and base("PRJNA1") == "PRJNA1"


def test_summary_accessions_per_database() -> None:
    sra = [
        (
            "ExpXml",
            '<Summary/><Submitter acc="SRA1"/><Experiment acc="SRX079566" ver="1"/>'
            '<Study acc="SRP1"/>',
        ),
        ("Runs", '<Run acc="SRR390728" total_spots="1"/><Run acc="SRR390729"/>'),
    ]
    assert summary_accessions("sra", sra) == ["SRX079566", "SRR390728", "SRR390729"]
    assembly = [("AssemblyAccession", "GCF_1.1"), ("Genbank", "GCA_1.1"), ("RefSeq", "GCF_1.1")]
    assert summary_accessions("assembly", assembly) == ["GCF_1.1", "GCA_1.1"]
    assert summary_accessions("pubmed", [("Title", "x")]) == []


def test_readme_lists_every_accession_form_as_the_code_does() -> None:
    assert readme_table() in README.read_text("utf-8")


# --- only ASCII is an id ---------------------------------------------------------------------

# Each is one Unicode step from an accepted id: digits of other scripts (Arabic-Indic,
# fullwidth, superscript), and letters that case-fold into ASCII ones (the long s folds to
# s, the Kelvin sign to k, the dotless i's capital to I).
LOOKALIKES = [
    ("snp", "rs\u0663\u0663\u0664"),
    ("sra", "SRR\uff13\uff19\uff10\uff17\uff12\uff18"),
    ("sra", "\u017fRR390728"),
    ("cdd", "\u212aOG0001"),
    ("pmc", "PMC\u0663"),
    ("gene", "\u0663\u0663\u0664"),
    ("nuccore", "NM_000546.\u00b2"),
    ("protein", "\u0661TUP_A"),
    ("biosample", "SAMN0260409\u0661"),
    ("books", "NB\u212a25499"),
    ("assembly", "GCF_000001405.\u0664"),
]


@pytest.mark.parametrize(("db", "token"), LOOKALIKES)
def test_a_lookalike_of_an_id_is_refused_and_shown_escaped(db, token) -> None:
    assert pattern_of(db, token) is None
    with pytest.raises(UsageError) as caught:
        check_ids([token], db)
    message = str(caught.value)
    assert message.startswith(f"bad id {token!a} for database {db}: ")
    assert "non-ASCII" in message
    assert message.isascii() and "\n" not in message


@pytest.mark.parametrize(
    "token", ["\u0663\u0663\u0664", "\uff13", "\u00b2", "\u2070", "\U0001d7ce", "1\u0660"]
)
def test_only_ascii_digits_make_a_uid(token) -> None:
    assert not is_uid(token)


def test_a_version_is_ascii_digits_only() -> None:
    assert base("NM_000546.\u00b2") == "NM_000546.\u00b2"
    assert base("NM_000546.\u0666") == "NM_000546.\u0666"
    assert base("NM_000546.6") == "NM_000546"
    assert not names_record("NM_000546", ["NM_000546.\u00b2"])


def test_control_characters_in_a_bad_id_are_shown_escaped_and_cut_short() -> None:
    with pytest.raises(UsageError) as caught:
        check_ids(["12\x1b[31m"], "gene")
    assert "bad id '12\\x1b[31m' for database gene" in str(caught.value)
    with pytest.raises(UsageError) as caught:
        check_ids(["\u00e9" * 100], "gene")
    message = str(caught.value)
    assert message.startswith("bad id '" + "\\xe9" * 10 + "...' for database gene")


@given(
    db=st.sampled_from(sorted(PATTERNS)),
    example=st.integers(min_value=0, max_value=10),
    before=st.text(max_size=8),
    odd=st.characters(min_codepoint=0x80),
    after=st.text(max_size=8),
)
@settings(max_examples=400, deadline=None)
def test_any_token_with_a_non_ascii_character_is_refused(db, example, before, odd, after):
    """For every database, a token holding any non-ASCII character (spliced into a valid
    example, or around any text) is refused, with the token shown in ASCII."""
    patterns = PATTERNS[db]
    valid = patterns[example % len(patterns)].example
    cut = len(before) % (len(valid) + 1)
    for token in (valid[:cut] + odd + valid[cut:], before + odd + after):
        assert pattern_of(db, token) is None
        assert not is_uid(token)
        with pytest.raises(UsageError) as caught:
            check_ids([token], db)
        assert str(caught.value).isascii()
