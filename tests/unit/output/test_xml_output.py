"""`--format xml`: one eLinkResult document in NCBI's shape (elink.dtd 20101123).

Every document is read back twice, with defusedxml and with Biopython's Bio.Entrez.read
(which validates against its bundled copy of NCBI's DTD), and both must give exactly the
expected LinkSets: source ids, link names, targets and scores (the readers are in
tests/support/elink_xml_readers.py). Unit tests of XmlWriter and make_writer; the
end-to-end tests, the installed `elinkcli` against the fake server, are in
tests/e2e/test_xml_output.py.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from Bio import Entrez
from support.elink_xml_readers import HEAD, empty_set, read_both, read_defused, read_entrez

from elinkcli.commands.ledger import Ledger
from elinkcli.commands.link import LINK_COLUMNS, _per_id_rows
from elinkcli.errors import UsageError
from elinkcli.eutils.records import ELinkResult, LinkSet, LinkSetDb
from elinkcli.output.elink_xml import XmlSpec, XmlWriter
from elinkcli.output.writers import make_writer

# --- the writer over rows -------------------------------------------------------------------


def row(src: str | None, name: str, target: str, score: int | None = None, db: str = "gene"):
    dbto = name.split("_")[1] if "_" in name else "protein"
    return (db, src, name, dbto, target, score)


def writer(ids: Sequence[str] = (), *, union: bool = False, db: str = "gene"):
    stats = Ledger.keeping_all(ids)
    out = io.StringIO()
    return XmlWriter(out, LINK_COLUMNS, XmlSpec(db, stats, union)), stats, out


def test_batches_keep_input_order_with_ids_without_links_in_place_and_failed_ones_absent():
    ids = [str(n) for n in range(1, 10)]
    w, stats, out = writer(ids)
    # Each batch: its ids without links and failures are known before its rows arrive,
    # as link_batches fills Ledger. 3 fails, 5 is not echoed.
    stats.ids_without_links.append("2")
    stats.ids_failed.append("3")
    w.write_many(
        [
            row("1", "gene_protein", "101"),
            row("1", "gene_protein", "102"),
            row("1", "gene_protein_refseq", "101"),
        ]
    )
    # Written as soon as complete: 1, then 2 (known without links), not held to the end.
    assert out.getvalue().count("</LinkSet>") == 2
    assert "</eLinkResult>" not in out.getvalue()
    stats.ids_without_links.append("4")
    stats.ids_not_echoed.append("5")
    w.write_many([row("6", "gene_pubmed", "601"), row("6", "gene_pubmed", "602")])
    assert out.getvalue().count("</LinkSet>") == 4
    stats.ids_without_links.extend(["8", "9"])
    w.write_many([row("7", "gene_protein", "701")])
    w.close()

    text = out.getvalue()
    assert text.startswith(HEAD + "<eLinkResult>\n")
    assert text.endswith("</LinkSet>\n</eLinkResult>\n")
    assert read_both(text) == [
        (
            "gene",
            ("1",),
            (
                ("protein", "gene_protein", (("101", None), ("102", None))),
                ("protein", "gene_protein_refseq", (("101", None),)),
            ),
        ),
        empty_set("2"),
        empty_set("4"),
        ("gene", ("6",), (("pubmed", "gene_pubmed", (("601", None), ("602", None))),)),
        ("gene", ("7",), (("protein", "gene_protein", (("701", None),)),)),
        empty_set("8"),
        empty_set("9"),
    ]


def test_a_batch_with_no_rows_still_places_its_ids_without_links():
    w, stats, out = writer(["1", "2", "3", "4"])
    stats.ids_without_links.extend(["1", "2"])
    w.write_many([])
    assert out.getvalue().count("</LinkSet>") == 2
    stats.ids_without_links.append("4")
    w.write_many([row("3", "gene_protein", "30")])
    w.close()
    assert [s[1] for s in read_both(out.getvalue())] == [("1",), ("2",), ("3",), ("4",)]


def _answer(*sets: LinkSet) -> ELinkResult:
    return ELinkResult(linksets=sets)


def test_rows_from_link_batches_own_row_maker_round_trip():
    """The batches as link.py makes them (its _per_id_rows filling Ledger first)."""
    ids = ["11", "12", "13", "14", "15", "16"]
    stats = Ledger.keeping_all(ids)
    out = io.StringIO()
    w = XmlWriter(out, LINK_COLUMNS, XmlSpec("pubmed", stats))
    first = _answer(
        # NCBI answers in its own order; 13 is rejected, 12 has no link table.
        LinkSet("pubmed", ("13",), errors=("Invalid uid 13",)),
        LinkSet("pubmed", ("12",)),
        LinkSet(
            "pubmed",
            ("11",),
            (LinkSetDb("pubmed", "pubmed_pubmed", ("11", "7", "8"), (900, 500, 7)),),
        ),
    )
    w.write_many(_per_id_rows(first, ids[:3], "neighbor_score", stats))
    second = _answer(
        LinkSet("pubmed", ("16",)),
        LinkSet("pubmed", ("14",), (LinkSetDb("gene", "pubmed_gene", ("3",)),)),
        # 15 is not echoed; 99 was not asked: named in the stats, never written.
        LinkSet("pubmed", ("99",), (LinkSetDb("gene", "pubmed_gene", ("4",)),)),
    )
    w.write_many(_per_id_rows(second, ids[3:], "neighbor_score", stats))
    w.close()

    assert stats.ids_failed == ["13"] and stats.ids_not_echoed == ["15"]
    assert stats.rejected == ["13 (Invalid uid 13)"]
    assert stats.ids_unexpected == ["99"]
    assert read_both(out.getvalue()) == [
        (
            "pubmed",
            ("11",),
            (("pubmed", "pubmed_pubmed", (("11", "900"), ("7", "500"), ("8", "7"))),),
        ),
        empty_set("12", "pubmed"),
        ("pubmed", ("14",), (("gene", "pubmed_gene", (("3", None),)),)),
        empty_set("16", "pubmed"),
    ]


def test_scores_are_written_with_their_links():
    w, _stats, out = writer(["5"], db="pubmed")
    w.write_many(
        [
            row("5", "pubmed_pubmed", "5", 100_000_000, db="pubmed"),
            row("5", "pubmed_pubmed", "77", 99_999_000, db="pubmed"),
            row("5", "pubmed_pubmed", "78", 1, db="pubmed"),
        ]
    )
    w.close()
    assert "<Link><Id>77</Id><Score>99999000</Score></Link>" in out.getvalue()
    assert read_both(out.getvalue()) == [
        (
            "pubmed",
            ("5",),
            (
                (
                    "pubmed",
                    "pubmed_pubmed",
                    (("5", "100000000"), ("77", "99999000"), ("78", "1")),
                ),
            ),
        )
    ]


def test_union_is_one_linkset_of_the_answered_ids_merged_per_link_name():
    w, stats, out = writer(["1", "2", "3", "4", "5"], union=True)
    w.write_many(
        [
            row(None, "gene_protein", "10"),
            row(None, "gene_protein", "11"),
            row(None, "gene_pubmed", "20"),
        ]
    )
    assert out.getvalue().count("<LinkSet>") == 0  # the one LinkSet is written at the end
    stats.ids_failed.append("4")
    stats.ids_not_echoed.append("5")
    w.write_many([row(None, "gene_protein", "12"), row(None, "gene_structure", "30")])
    w.close()
    assert read_both(out.getvalue()) == [
        (
            "gene",
            ("1", "2", "3"),
            (
                ("protein", "gene_protein", (("10", None), ("11", None), ("12", None))),
                ("pubmed", "gene_pubmed", (("20", None),)),
                ("structure", "gene_structure", (("30", None),)),
            ),
        )
    ]


def test_union_without_any_link_still_lists_its_ids():
    w, _stats, out = writer(["1", "2"], union=True)
    w.write_many([])
    w.close()
    assert read_both(out.getvalue()) == [("gene", ("1", "2"), ())]


def test_rows_without_a_source_id_in_per_id_mode_get_an_empty_idlist():
    w, stats, out = writer(["1", "2", "3"])
    stats.ids_without_links.append("2")
    # NCBI answered 3 together with an unasked id in one LinkSet: no source id to give.
    stats.ids_unexpected.extend(["3", "8"])
    w.write_many(
        [
            row("1", "gene_protein", "10"),
            row(None, "gene_protein", "30"),
            row(None, "gene_protein", "31"),
            row(None, "gene_pubmed", "32"),
        ]
    )
    w.close()
    assert read_both(out.getvalue()) == [
        ("gene", ("1",), (("protein", "gene_protein", (("10", None),)),)),
        empty_set("2"),
        (
            "gene",
            (),
            (
                ("protein", "gene_protein", (("30", None), ("31", None))),
                ("pubmed", "gene_pubmed", (("32", None),)),
            ),
        ),
    ]


def test_ids_not_known_upfront_give_linksets_only_to_sources_with_rows():
    """A History set or a query as input: the ids come from NCBI, so their order and the
    ids without links are not placed."""
    w, stats, out = writer(())
    stats.ids_without_links.append("6")
    w.write_many([row("5", "gene_protein", "50"), row("7", "gene_protein", "70")])
    w.close()
    assert read_both(out.getvalue()) == [
        ("gene", ("5",), (("protein", "gene_protein", (("50", None),)),)),
        ("gene", ("7",), (("protein", "gene_protein", (("70", None),)),)),
    ]


def test_odd_characters_are_escaped_and_what_xml_cannot_hold_is_replaced():
    odd_name = "a&b<c>\"d'e ]]> é ✓ 𝄞"
    w, _stats, out = writer(["x&<1>"], db="ge&ne")
    w.write_many(
        [
            ("ge&ne", "x&<1>", odd_name, "pro<tein>", "t\x01u", None),
            ("ge&ne", "x&<1>", odd_name, "pro<tein>", "lone\udc80surrogate", 7),
            ("ge&ne", "x&<1>", odd_name, "pro<tein>", "tab\there\u0085\ufffe", None),
        ]
    )
    w.close()
    text = out.getvalue()
    text.encode("utf-8")  # strictly encodable
    assert read_both(text) == [
        (
            "ge&ne",
            ("x&<1>",),
            (
                (
                    "pro<tein>",
                    odd_name,
                    (
                        ("t\ufffdu", None),
                        ("lone\ufffdsurrogate", "7"),
                        ("tab\there\u0085\ufffd", None),
                    ),
                ),
            ),
        )
    ]


def test_an_empty_run_is_a_well_formed_empty_result():
    w, _stats, out = writer(())
    w.close()
    assert out.getvalue() == HEAD + "<eLinkResult>\n</eLinkResult>\n"
    assert read_both(out.getvalue()) == []
    w.close()  # closing again writes nothing more
    assert out.getvalue() == HEAD + "<eLinkResult>\n</eLinkResult>\n"


def test_a_failed_run_ends_the_document_with_a_top_level_error():
    w, stats, out = writer(["1", "2", "3"])
    stats.ids_without_links.append("2")
    w.write_many([row("1", "gene_protein", "10"), row("1", "gene_protein", "11")])
    # The run raises (3's batch gave up): run_rows sets .error, then close() ends it.
    w.error = "gave up on 1 batch(es) after retries & <timeouts>; failed ids: 3"
    w.close()
    text = out.getvalue()
    assert text.endswith(
        "<ERROR>gave up on 1 batch(es) after retries &amp; &lt;timeouts&gt;; failed ids: 3"
        "</ERROR>\n</eLinkResult>\n"
    )
    expected = [
        ("gene", ("1",), (("protein", "gene_protein", (("10", None), ("11", None))),)),
        empty_set("2"),
    ]
    defused, errors = read_defused(text)
    assert (defused, errors) == (expected, [w.error])
    # Biopython raises NCBI's ERROR text, as it does for NCBI's own answers...
    with pytest.raises(RuntimeError, match="failed ids: 3"):
        Entrez.read(io.BytesIO(text.encode()))
    # ...and reads the rest when told to.
    assert read_entrez(text, ignore_errors=True) == (expected, [w.error])


def test_an_error_before_any_row_is_still_a_document():
    w, _stats, out = writer(["1"])
    w.error = "bad option"
    w.close()
    assert out.getvalue() == HEAD + "<eLinkResult>\n<ERROR>bad option</ERROR>\n</eLinkResult>\n"
    assert read_defused(out.getvalue()) == ([], ["bad option"])


def test_make_writer_gives_xml_only_to_link():
    with pytest.raises(UsageError, match="--format xml is for link"):
        make_writer("xml", io.StringIO(), LINK_COLUMNS, uid_key="target_id")
    made = make_writer(
        "xml",
        io.StringIO(),
        LINK_COLUMNS,
        uid_key="target_id",
        xml=XmlSpec("gene", Ledger.keeping_all(["1"])),
    )
    assert isinstance(made, XmlWriter)
