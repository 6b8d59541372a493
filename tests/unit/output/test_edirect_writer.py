"""The EDirect writer (`--format edirect`, elinkcli.output.writers.EDirectWriter): one
ENTREZ_DIRECT message of the distinct targets, read back with elinkcli.ids.edirect."""

from __future__ import annotations

import io

from support.stdin_data import LABELS, link_row, tags

from elinkcli.commands.link import LINK_COLUMNS
from elinkcli.ids.edirect import EDirectMessage, parse_message
from elinkcli.output.writers import EDirectWriter, make_writer


def test_edirect_writer_distinct_targets_count_and_step() -> None:
    template = EDirectMessage(db="protein", step=2, tool="edirect", email="e@x.org", labels=LABELS)
    out = io.StringIO()
    writer = EDirectWriter(out, LINK_COLUMNS, "target_id", template)
    rows = [link_row("1", "30"), link_row("1", "10"), link_row("2", "30"), link_row("3", "20")]
    for row in rows:
        writer.write(row)
    writer.close()

    msg = parse_message(out.getvalue().encode())
    distinct = tuple(dict.fromkeys(r[4] for r in rows))
    assert msg == EDirectMessage(
        db="protein",
        ids=distinct,
        count=len(distinct),
        step=2,
        tool="edirect",
        email="e@x.org",
        labels=LABELS,
    )
    assert tags(out.getvalue()) == ["Db", "Count", "Step", "Tool", "Email", "Labels"] + [
        "Id"
    ] * len(distinct)


def test_edirect_writer_without_rows_writes_count_zero() -> None:
    out = io.StringIO()
    writer = make_writer(
        "edirect",
        out,
        LINK_COLUMNS,
        uid_key="target_id",
        message=EDirectMessage(db="gene", step=1),
    )
    writer.close()
    assert parse_message(out.getvalue().encode()) == EDirectMessage(db="gene", count=0, step=1)


def test_edirect_writer_default_template_is_step_one() -> None:
    out = io.StringIO()
    writer = make_writer("edirect", out, LINK_COLUMNS, uid_key="target_id")
    writer.write(link_row("1", "9"))
    writer.close()
    msg = parse_message(out.getvalue().encode())
    assert (msg.step, msg.count, msg.ids) == (1, 1, ("9",))
