"""EFetch runinfo CSV (NCBI's SRA RunInfo table) read into run accessions, and sra DocSum
items read into runs and total_runs."""

from __future__ import annotations

import pytest

from elinkcli.accessions import summary_runs
from elinkcli.errors import ResponseValueError
from elinkcli.ids.runinfo import FIELD_MAX, parse_runinfo

HEADER = (
    "Run,ReleaseDate,LoadDate,spots,bases,spots_with_mates,avgLength,size_MB,AssemblyName,"
    "download_path,Experiment,LibraryName"
)


def test_runs_in_order_each_once() -> None:
    body = (
        f"{HEADER}\n"
        'SRR1,2014-01-01,2014-01-01,10,1000,0,100,1,,https://x/SRR1,SRX1,"lib, with comma"\n'
        "SRR2,,,,,,,,,,SRX1,\n"
        "\n"
        f"{HEADER}\n"  # NCBI repeats the header between pages
        "SRR1,,,,,,,,,,SRX1,\n"
        "ERR3,,,,,,,,,,SRX1,\n"
    )
    assert parse_runinfo(body.encode()) == ["SRR1", "SRR2", "ERR3"]


def test_an_empty_body_is_no_runs_and_a_header_alone_too() -> None:
    assert parse_runinfo(b"") == []
    assert parse_runinfo(f"{HEADER}\n".encode()) == []


def test_run_need_not_be_the_first_column() -> None:
    assert parse_runinfo(b"Experiment,Run\nSRX1,DRR7\n") == ["DRR7"]


@pytest.mark.parametrize(
    "body, says",
    [
        (b"Error,Message\nbroken,no runs here\n", "no header with a 'Run' column"),
        (b"SRR1,SRX1\n", "no header with a 'Run' column"),
        (f"{HEADER}\nSRR1,{'x' * (FIELD_MAX + 1)}\n".encode(), "longer than"),
        (f"{HEADER}\nSRR1,{'x' * 200_000}\n".encode(), "runinfo"),
        (f'{HEADER}\n"SRR1,SRR2",x\n'.encode(), "no run accession"),
        (f'{HEADER}\n"SRR1\n'.encode(), "runinfo"),
        (f"{HEADER}\n<html>oops</html>\n".encode(), "no run accession"),
        (f"{HEADER}\n,SRX1\n".encode(), "no run accession"),
    ],
)
def test_a_hostile_csv_is_a_clear_error(body: bytes, says: str) -> None:
    with pytest.raises(ResponseValueError, match="runinfo") as caught:
        parse_runinfo(body)
    assert says in str(caught.value)


def test_summary_runs_reads_runs_and_total() -> None:
    items = [
        ("Title", "x"),
        (
            "ExpXml",
            '<Summary><Statistics total_runs="3" total_spots="9"/></Summary>'
            '<Experiment acc="SRX1"/>',
        ),
        (
            "Runs",
            '<Run acc="SRR1" total_spots="1"/><Run acc="SRR2" total_spots="1"/><Run acc="SRR1"/>',
        ),
    ]
    assert summary_runs(items) == (["SRR1", "SRR2"], 3)
    assert summary_runs([("Runs", "")]) == ([], None)
