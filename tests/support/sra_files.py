"""A small, deterministic SRA metadata model written out as NCBI's
`sra/reports/Metadata/SRA_Accessions.tab`, with the oracle of the links it holds.

Where the shape comes from (every value is invented; only the shape is NCBI's, as
docs/tables.md copies it from NCBI's description of the file): an uncompressed TSV whose
header line names 20 columns (Accession Submission Status Updated Published Received Type
Center Visibility Alias Experiment Sample Study Loaded Spots Bases Md5sum BioSample
BioProject ReplacedBy), one line per SRA object (SUBMISSION, STUDY, SAMPLE, EXPERIMENT,
RUN), `-` for an empty field. A run's line names its experiment, sample, study, BioSample
and BioProject; an experiment's line its sample, study, BioSample and BioProject. `Status`
is `live` or, for objects taken down, `suppressed`/`unpublished`/`withdrawn` (the loader
keeps live ones). GEO samples' experiments carry their GSM id in `Alias`; aliases may hold
double quotes and spaces.

`oracle(model, linkname)`: {source accession: its target accessions, sorted}, live rows
only; `runs(model)`: {experiment: its live runs, sorted}.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SRA_HEADER = (
    "Accession\tSubmission\tStatus\tUpdated\tPublished\tReceived\tType\tCenter\tVisibility\t"
    "Alias\tExperiment\tSample\tStudy\tLoaded\tSpots\tBases\tMd5sum\tBioSample\tBioProject\t"
    "ReplacedBy"
)
STAMP = "2020-01-02T03:04:05Z"


@dataclass
class Experiment:
    acc: str
    submission: str
    study: str
    sample: str
    biosample: str
    bioproject: str
    status: str = "live"
    gsm: str | None = None
    runs: list[tuple[str, str]] = field(default_factory=list)  # (accession, status)


@dataclass
class SraModel:
    experiments: list[Experiment]

    def live(self) -> list[Experiment]:
        return [e for e in self.experiments if e.status == "live"]


def make_model(n: int = 40, seed: int = 11) -> SraModel:
    """`n` experiments over a few studies, samples and projects: some with no run, some
    with several, some runs and experiments not live, SRA, ENA and DDBJ prefixes."""
    rng = random.Random(seed)
    experiments: list[Experiment] = []
    run_no = 100
    for i in range(n):
        p = "SED"[i % 3] if i % 7 == 3 else "S"
        study = f"{p}RP{100 + i // 8:06d}"
        project = f"PRJNA{5000 + i // 8}" if p == "S" else f"PRJEB{7000 + i // 8}"
        sample_no = 300 + i // 2
        sample = f"{p}RS{sample_no:06d}"
        biosample = f"SAMN{sample_no:08d}" if p == "S" else f"SAMEA{sample_no:07d}"
        e = Experiment(
            acc=f"{p}RX{1000 + i:06d}",
            submission=f"{p}RA{50 + i // 8:06d}",
            study=study,
            sample=sample,
            biosample=biosample,
            bioproject=project,
            status="suppressed" if i % 13 == 12 else "live",
            gsm=f"GSM{900000 + i}" if i % 4 == 1 else None,
        )
        for _ in range(i % 4):  # 0, 1, 2 or 3 runs
            run_no += 1
            status = "withdrawn" if rng.random() < 0.1 else "live"
            if e.status != "live":
                status = e.status  # a suppressed experiment's runs are suppressed too
            e.runs.append((f"{p}RR{run_no:07d}", status))
        experiments.append(e)
    return SraModel(experiments)


def _line(
    acc: str,
    kind: str,
    submission: str,
    alias: str,
    md5: str,
    *,
    status: str = "live",
    experiment: str | None = None,
    sample: str | None = None,
    study: str | None = None,
    counts: tuple[str, str, str] | None = None,
    biosample: str | None = None,
    bioproject: str | None = None,
    replaced_by: str | None = None,
) -> str:
    """One object's line, its 20 fields in the header's order (`-` for an empty one);
    `counts`: (Loaded, Spots, Bases)."""
    values = (
        acc,
        submission,
        status,
        STAMP,
        STAMP,
        STAMP,
        kind,
        "GEO",
        "public",
        alias,
        experiment,
        sample,
        study,
        *(counts or (None, None, None)),
        md5,
        biosample,
        bioproject,
        replaced_by,
    )
    return "\t".join(v if v else "-" for v in values)


def sra_accessions_bytes(model: SraModel) -> bytes:
    """The model as SRA_Accessions.tab (plain, not gzipped)."""
    lines = [SRA_HEADER]
    seen: set[str] = set()

    def once(acc: str, line: str) -> None:
        if acc not in seen:
            seen.add(acc)
            lines.append(line)

    for e in model.experiments:
        sub = e.submission
        once(sub, _line(sub, "SUBMISSION", sub, sub, "0" * 32))
        once(
            e.study,
            _line(e.study, "STUDY", sub, f"GSE{e.study[3:]}", "1" * 32, bioproject=e.bioproject),
        )
        sample_alias = e.gsm or f'sample "{e.sample}" of study'
        once(
            e.sample,
            _line(e.sample, "SAMPLE", sub, sample_alias, "2" * 32, biosample=e.biosample),
        )
        lines.append(
            _line(
                e.acc,
                "EXPERIMENT",
                sub,
                e.gsm or f'exp {e.acc} "rep 1"',
                "3" * 32,
                status=e.status,
                sample=e.sample,
                study=e.study,
                biosample=e.biosample,
                bioproject=e.bioproject,
            )
        )
        for n, (run, status) in enumerate(e.runs):
            lines.append(
                _line(
                    run,
                    "RUN",
                    sub,
                    f"{e.gsm}_r{n + 1}" if e.gsm else f"run {n + 1}",
                    "4" * 32,
                    status=status,
                    experiment=e.acc,
                    sample=e.sample,
                    study=e.study,
                    counts=("1", "1000", "150000"),
                    biosample=e.biosample,
                    bioproject=e.bioproject,
                )
            )
    return ("\n".join(lines) + "\n").encode()


def runs(model: SraModel) -> dict[str, list[str]]:
    """{live experiment: its live runs, sorted}."""
    return {e.acc: sorted(r for r, s in e.runs if s == "live") for e in model.live()}


def oracle(model: SraModel, linkname: str) -> dict[str, list[str]]:
    """{source accession: its targets, sorted}: what sra_accessions answers, live objects
    only (a source whose every experiment is not live has none)."""
    pairs: list[tuple[str, str]] = []
    for e in model.live():
        live_runs = [r for r, s in e.runs if s == "live"]
        if linkname == "bioproject_sra":
            pairs.append((e.bioproject, e.acc))
        elif linkname == "biosample_sra":
            pairs.append((e.biosample, e.acc))
        elif linkname == "gds_sra" and e.gsm:
            pairs.append((e.gsm, e.acc))
        elif linkname in ("sra_bioproject", "sra_biosample"):
            target = e.bioproject if linkname == "sra_bioproject" else e.biosample
            for key in (e.acc, e.sample, e.study, e.submission, *live_runs):
                pairs.append((key, target))
    out: dict[str, set[str]] = {}
    for source, target in pairs:
        out.setdefault(source, set()).add(target)
    return {k: sorted(v) for k, v in out.items()}
