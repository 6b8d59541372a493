"""Source ids as tokens (elinkcli.ids.tokens): split, check, decode, normalize the
database name; and properties: any text splits and checks to ids or a clean UsageError.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elinkcli.errors import UsageError
from elinkcli.ids.tokens import check_ids, decode_input, normalize_db, quoted, split_ids

# --- split_ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1\n2\n3\n"], ["1", "2", "3"]),
        (["1 2  3"], ["1", "2", "3"]),
        (["1\t2\t\t3"], ["1", "2", "3"]),
        (["1,2,,3,"], ["1", "2", "3"]),
        (["1, 2\t,3\r\n4 ,\n, 5"], ["1", "2", "3", "4", "5"]),
        ([",,, \n\t"], []),
        ([""], []),
        ([], []),
        (["7,8", "9", " 10 \n11"], ["7", "8", "9", "10", "11"]),
        (["NM_000546.6,NP_000537.3"], ["NM_000546.6", "NP_000537.3"]),
    ],
)
def test_split_ids(values: list[str], expected: list[str]) -> None:
    assert split_ids(values) == expected


def test_split_ids_keeps_order_and_repeats() -> None:
    ids = ["5", "3", "5", "1"]
    assert split_ids([" ".join(ids)]) == ids


# --- check_ids ------------------------------------------------------------------------


@pytest.mark.parametrize("db", ["gene", "pubmed"])
def test_numeric_ids_are_accepted_for_uid_databases(db: str) -> None:
    ids = ["1", "348", "35520012"]
    assert check_ids(ids, db) == ids


@pytest.mark.parametrize("db", ["gene", "pubmed"])
@pytest.mark.parametrize("bad", ["NM_000546.6", "12a", "1.5", "-3", "PMC123"])
def test_non_numeric_ids_are_refused_for_uid_databases(db: str, bad: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        check_ids(["1", bad, "2"], db)
    assert repr(bad) in str(excinfo.value)
    assert db in str(excinfo.value)


@pytest.mark.parametrize("db", ["nuccore", "protein", "nucleotide", "Nucleotide"])
@pytest.mark.parametrize("acc", ["NM_000546.6", "NP_000537.3", "U49845", "1621261"])
def test_accessions_are_accepted_for_sequence_databases(db: str, acc: str) -> None:
    assert check_ids([acc], db) == [acc]


@pytest.mark.parametrize("db", ["nuccore", "protein"])
@pytest.mark.parametrize("bad", ["NM_000546.", "NM-000546", "NM_000546.6.1", "a b", "x.y"])
def test_malformed_accessions_are_refused(db: str, bad: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        check_ids([bad], db)
    assert repr(bad) in str(excinfo.value)


def test_check_ids_drops_repeats_keeping_first_occurrence() -> None:
    ids = ["30", "10", "30", "20", "10", "40"]
    expected = [i for n, i in enumerate(ids) if i not in ids[:n]]
    assert check_ids(ids, "gene") == expected


def test_check_ids_empty_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no ids"):
        check_ids([], "gene")


def test_long_bad_id_is_shortened_in_the_message() -> None:
    bad = "x" * 500
    with pytest.raises(UsageError) as excinfo:
        check_ids([bad], "gene")
    message = str(excinfo.value)
    assert bad[:40] in message
    assert bad not in message


# --- decode_input and normalize_db ----------------------------------------------------


def test_decode_input_plain_utf8() -> None:
    text = "123\n456\n"
    assert decode_input(text.encode("utf-8")) == text


def test_decode_input_strips_bom() -> None:
    text = "123\n456"
    assert decode_input(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def test_decode_input_refuses_nul_bytes() -> None:
    with pytest.raises(UsageError, match="NUL") as excinfo:
        decode_input("1\n2\n".encode("utf-16"), source="ids.txt")
    assert "ids.txt" in str(excinfo.value)


@pytest.mark.parametrize("data", [b"12\xff34", b"\xc3\x28", b"1\n2\n\x80"])
def test_decode_input_refuses_invalid_utf8(data: bytes) -> None:
    with pytest.raises(UsageError, match="UTF-8") as excinfo:
        decode_input(data, source="stdin")
    assert "stdin" in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nucleotide", "nuccore"),
        ("nucleotide", "nuccore"),
        (" NUCCORE ", "nuccore"),
        ("PubMed", "pubmed"),
        ("protein", "protein"),
    ],
)
def test_normalize_db(name: str, expected: str) -> None:
    assert normalize_db(name) == expected


# --- property ---------------------------------------------------------------------------


def is_separator(ch: str) -> bool:
    return ch.isspace() or ch == ","


@given(st.text(), st.sampled_from(["gene", "pubmed", "nuccore", "protein"]))
def test_split_and_check_never_fail_unexpectedly(text: str, db: str) -> None:
    tokens = split_ids([text])
    assert all(tok and not any(is_separator(c) for c in tok) for tok in tokens)
    assert "".join(tokens) == "".join(c for c in text if not is_separator(c))
    try:
        checked = check_ids(tokens, db)
    except UsageError:
        return
    assert checked == list(dict.fromkeys(tokens))
    assert checked


DATABASES = ["gene", "pubmed", "protein", "nuccore", "nucleotide", "Protein", "NucCore", "snp"]
# The accession forms of these databases, written out here (an oracle of docs/accessions.md's
# table, not elinkcli.accessions): RefSeq, GenBank (and UniProt-like) and PDB ids.
_REFSEQ = r"[A-Z]{2}_[A-Z]{0,4}[0-9]+(\.[0-9]+)?"
_GENBANK = r"[A-Z]{1,6}[0-9]{5,10}(\.[0-9]+)?"
ACCESSION_FORMS = {
    "protein": (_REFSEQ, _GENBANK, r"[0-9][A-Z0-9]{3}(_[A-Z0-9]{1,4})?"),
    "nuccore": (_REFSEQ, _GENBANK),
    "nucleotide": (_REFSEQ, _GENBANK),
    "snp": (r"rs[0-9]+", r"ss[0-9]+"),
}
TOKENS = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    st.from_regex(r"[A-Z]{1,3}_?[0-9]{3,9}(\.[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"(rs|ss|RS)[0-9]{1,9}", fullmatch=True),
    st.sampled_from(["", " ", "1,2", "١٢٣", "12\n", "NM_000546.6.1", "x" * 50, "0", "1TUP_A"]),
)


def _is_uid(token: str) -> bool:
    return bool(token) and all(c in "0123456789" for c in token)


# A DOI, for pubmed and pmc (with a `doi:` or doi.org prefix; no percent signs here).
_DOI = r'(doi:|https?://(dx\.)?doi\.org/)?10\.[0-9]{4,9}(\.[0-9]+)*/[^\s",%]+'


def _is_accession(token: str, db: str) -> bool:
    if (
        db.lower() in ("pubmed", "pmc")
        and "%" not in token
        and token.isascii()
        and re.fullmatch(_DOI, token, re.IGNORECASE)
        and len(token) < 400
    ):
        return True
    forms = ACCESSION_FORMS.get(db.lower(), ())
    return token.isascii() and any(re.fullmatch(f, token, re.IGNORECASE) for f in forms)


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(TOKENS, max_size=12), db=st.sampled_from(DATABASES))
def test_check_ids_accepts_exactly_the_valid_tokens(tokens: list[str], db: str) -> None:
    valid = [t for t in tokens if _is_uid(t) or _is_accession(t, db)]
    try:
        checked = check_ids(tokens, db)
    except UsageError as exc:
        message = str(exc)
        assert "\n" not in message  # one line, whatever the tokens hold
        if tokens and len(valid) == len(tokens):
            pytest.fail(f"valid ids refused: {message}")
        if not tokens:
            assert "no ids" in message
        else:
            first_bad = next(t for t in tokens if t not in valid)
            assert quoted(first_bad) in message
            assert f"for database {db}" in message
        return
    assert len(valid) == len(tokens) and tokens
    assert checked == list(dict.fromkeys(tokens))
