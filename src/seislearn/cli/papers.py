"""``seislearn papers``: the deep-learning seismology literature database.

Only the standard library is imported at module level; pandas, plotly and
``seislearn.papers`` are imported inside the handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from seislearn.cli.common import formatter

EPILOG = """\
examples:
  seislearn papers download                      # fetch the CSV into ~/.cache/seislearn/papers
  seislearn papers validate --csv ../shared/data/dl_seismology/paper_inventory_deep.csv
  seislearn papers search --task "Phase Picking" --network-type RNN --year-from 2019
  seislearn papers search --text transformer --format json
  seislearn papers stats --by category
  seislearn papers stats --crosstab task network_type --format csv
  seislearn papers export --to papers.jsonl
  seislearn papers site --out explorer/              # one offline HTML page
  seislearn papers add YOUR_ENTRY.json --to YOUR_PAPERS.csv
  seislearn papers diff YOUR_OLD.csv YOUR_NEW.csv

Without --csv the CSV is read from the cache ($SEISLEARN_CACHE/papers or
~/.cache/seislearn/papers) and downloaded there (sha256-checked) if missing.
"""

#: option name -> entry-model field, for the search filters.
FILTER_OPTIONS: dict[str, str] = {
    "category": "category",
    "sub-category-1": "sub_category_I",
    "sub-category-2": "sub_category_II",
    "task": "task",
    "sub-task": "sub_task",
    "network-type": "network_type",
    "network-name": "network_name",
    "training": "training_process",
    "data-type": "data_type",
    "data-domain": "data_domain",
    "ml-type": "ml_type",
    "journal": "journal",
    "author": "author",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``seislearn papers`` and its actions."""
    p = subparsers.add_parser(
        "papers",
        help="the deep-learning seismology literature database: validate, search, plot",
        description="Load, clean, validate, query and draw the Mousavi and Beroza (2022) "
        "database of 639 papers applying neural networks in seismology.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    sub = p.add_subparsers(dest="papers_command", metavar="ACTION")

    v = sub.add_parser(
        "validate",
        help="clean the CSV and report every problem with its row and field",
        description="Parse list cells safely, strip spaces, drop placeholders, merge "
        "spelling variants (vocabulary.json), and report impossible years, duplicate "
        "titles, tasks under two parents, unknown labels. Rows are 1-based data rows "
        "(the header is not counted).",
        epilog="examples:\n"
        "  seislearn papers validate --csv ../shared/data/dl_seismology/paper_inventory_deep.csv\n"
        "  seislearn papers validate --all --out problems.csv\n"
        "  seislearn papers validate --kind duplicate_title --kind impossible_year\n\n"
        "exit status: 1 when a problem at or above --fail-on is found, else 0.",
        formatter_class=formatter(),
    )
    _add_source_options(v)
    v.add_argument("--vocabulary", metavar="JSON", help="your own cleaning table")
    v.add_argument("--all", action="store_true", help="also list the fixed (info) problems")
    v.add_argument("--kind", action="append", default=[], help="list only this kind (repeatable)")
    v.add_argument("--out", metavar="FILE", help="write every problem to FILE (.csv or .json)")
    v.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    v.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="exit 1 when a problem this severe is found (default: error)",
    )
    v.set_defaults(func=_validate)

    s = sub.add_parser(
        "search",
        help="filter papers by hierarchy, network, training, data, year and text",
        description="Labels match in full, case-insensitively; a list field matches when "
        "any of its labels does. Repeat an option for OR; different options combine with AND.",
        epilog="examples:\n"
        '  seislearn papers search --category "Inverse Problems" --network-type CNN\n'
        '  seislearn papers search --task "Phase Picking" --task "Event Detection" '
        "--year-from 2020 --sort year --desc\n"
        "  seislearn papers search --text 'transformer attention' --format csv > hits.csv",
        formatter_class=formatter(),
    )
    _add_source_options(s)
    for option, field in FILTER_OPTIONS.items():
        s.add_argument(
            f"--{option}",
            dest=f"f_{field}",
            action="append",
            default=[],
            metavar="LABEL",
            help=f"{field} label (repeatable)",
        )
    s.add_argument("--year-from", type=int, metavar="YEAR", help="first year (inclusive)")
    s.add_argument("--year-to", type=int, metavar="YEAR", help="last year (inclusive)")
    s.add_argument("--text", help="words that must all occur in the title or the notes")
    s.add_argument(
        "--sort", default="year", help="year, ref, title, author, journal, category, row"
    )
    s.add_argument("--desc", action="store_true", help="sort in descending order")
    s.add_argument("--limit", type=int, help="show at most this many papers")
    s.add_argument("--columns", help="comma-separated fields for table/csv output")
    s.add_argument("--format", choices=("table", "csv", "json", "jsonl"), default="table")
    s.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV: keep cells starting with = + - @ as they are (default: prefixed with ')",
    )
    s.set_defaults(func=_search)

    st = sub.add_parser(
        "stats",
        help="counts by any field or by year, and a task x network-type table",
        description="A paper with several labels in a list field counts once under each "
        "(use --combine to count label combinations such as CNN+FC instead).",
        epilog="examples:\n  seislearn papers stats\n  seislearn papers stats --by year\n"
        "  seislearn papers stats --by network_type --combine\n"
        "  seislearn papers stats --crosstab task network_type",
        formatter_class=formatter(),
    )
    _add_source_options(st)
    st.add_argument("--by", action="append", default=[], metavar="FIELD", help="count by FIELD")
    st.add_argument("--combine", action="store_true", help="count list combinations")
    st.add_argument("--crosstab", nargs=2, metavar=("ROWS", "COLUMNS"), help="two-field table")
    st.add_argument("--format", choices=("table", "csv", "json"), default="table")
    st.set_defaults(func=_stats)

    e = sub.add_parser(
        "export",
        help="write the cleaned papers as JSON, JSONL or CSV",
        description="JSON/JSONL follow the database's published structure (ref, network_type, "
        "architecture, performance_metrice, ...); CSV keeps the source columns.",
        epilog="examples:\n  seislearn papers export --to papers.json\n"
        "  seislearn papers export --to papers.jsonl --include-raw",
        formatter_class=formatter(),
    )
    _add_source_options(e)
    e.add_argument("--to", required=True, metavar="FILE", help="output file (.json/.jsonl/.csv)")
    e.add_argument("--format", choices=("json", "jsonl", "csv"), help="default: from suffix")
    e.add_argument("--include-raw", action="store_true", help="keep the CSV text of each field")
    e.add_argument("--overwrite", action="store_true", help="replace an existing file")
    e.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV: keep cells starting with = + - @ as they are (default: prefixed with ' so "
        "spreadsheets show them as text, not run them)",
    )
    e.set_defaults(func=_export)

    si = sub.add_parser(
        "site",
        help="write the offline explorer page (sunbursts, heatmap, searchable table)",
        description="Writes DIR/index.html: plotly.js embedded once, the two sunbursts of "
        "the paper (applications, networks), papers per year, a task x network-type "
        "heatmap, and a table that filters by search, drop-downs and sector clicks.",
        epilog="examples:\n  seislearn papers site --out explorer\n"
        "  seislearn papers site --out explorer --overwrite",
        formatter_class=formatter(),
    )
    _add_source_options(si)
    si.add_argument("--out", required=True, metavar="DIR", help="folder for index.html")
    si.add_argument("--title", help="page title")
    si.add_argument("--overwrite", action="store_true", help="replace an existing index.html")
    si.set_defaults(func=_site)

    d = sub.add_parser(
        "download",
        help="fetch the CSV into the cache and verify its checksum",
        epilog="examples:\n  seislearn papers download\n"
        "  seislearn papers download --dataset allml\n"
        "  seislearn papers download --source zenodo",
        formatter_class=formatter(),
    )
    d.add_argument("--dataset", choices=("deep", "allml"), default="deep")
    d.add_argument("--source", choices=("github", "zenodo"), default="github")
    d.add_argument("--url", help="a mirror (or file://) URL; the pinned sha256 is still checked")
    d.add_argument("--force", action="store_true", help="download even if cached")
    d.set_defaults(func=_download)

    a = sub.add_parser(
        "add",
        help="validate a new entry (JSON) and append it to your own copy of the CSV",
        description="The entry follows the published JSON structure. Errors are listed per "
        "field. The cache is never written to: pass your own CSV with --to.",
        epilog="example:\n  seislearn papers add YOUR_ENTRY.json --to YOUR_PAPERS.csv",
        formatter_class=formatter(),
    )
    a.add_argument("entry", help="JSON file with one entry (or a list of entries)")
    a.add_argument("--to", required=True, metavar="CSV", help="your CSV (created if missing)")
    a.set_defaults(func=_add)

    df = sub.add_parser(
        "diff",
        help="papers added, removed and changed between two versions",
        description="Papers are matched by title (ignoring case and punctuation).",
        epilog="example:\n  seislearn papers diff YOUR_OLD.csv YOUR_NEW.csv --format json",
        formatter_class=formatter(),
    )
    df.add_argument("old", help="older CSV or JSON/JSONL export")
    df.add_argument("new", help="newer CSV or JSON/JSONL export")
    df.add_argument("--format", choices=("text", "json"), default="text")
    df.set_defaults(func=_diff)

    p.set_defaults(func=lambda args: _help(p))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csv",
        metavar="PATH",
        help="database CSV (default: the cached copy, downloaded if needed)",
    )
    parser.add_argument(
        "--dataset",
        choices=("deep", "allml"),
        default="deep",
        help="which cached CSV without --csv: deep (639 papers) or allml (809)",
    )


def _load(args: argparse.Namespace, vocabulary: Any = None) -> Any:
    from seislearn.papers.download import resolve_csv
    from seislearn.papers.load import load_papers

    return load_papers(resolve_csv(args.csv, args.dataset), vocabulary)


def _validate(args: argparse.Namespace) -> int:
    from seislearn.papers.report import format_report, write_problems
    from seislearn.papers.vocabulary import load_vocabulary

    table = _load(args, load_vocabulary(args.vocabulary))
    _print(format_report(table, show_info=args.all, kinds=args.kind))
    if args.out:
        path = write_problems(table.problems, args.out, overwrite=args.overwrite)
        print(f"\nwrote {len(table.problems)} problems to {path}")
    severities = {p.severity for p in table.problems}
    failing = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}[args.fail_on]
    return 1 if severities & failing else 0


def _search(args: argparse.Namespace) -> int:
    from seislearn.papers import export, query

    table = _load(args)
    filters = {
        field: getattr(args, f"f_{field}")
        for field in FILTER_OPTIONS.values()
        if getattr(args, f"f_{field}")
    }
    q = query.Query(
        filters=filters,
        year_min=args.year_from,
        year_max=args.year_to,
        text=args.text,
        sort=args.sort,
        descending=args.desc,
        limit=args.limit,
    )
    found = query.search(table.papers, q)
    columns = _columns(args.columns) or list(query.DEFAULT_COLUMNS)
    if args.format == "table":
        _print(query.format_table(columns, query.rows_for(found, columns)))
        _print(f"\n{len(found)} of {len(table)} papers")
    elif args.format == "csv" and args.columns:
        _write_csv(
            columns,
            [[query.cell_text(v) for v in row] for row in query.rows_for(found, columns)],
            args.keep_formulas,
        )
    else:
        _write_data(export.render(found, args.format, keep_formulas=args.keep_formulas))
    return 0


def _print(text: str) -> None:
    """Print text meant for people, without the control characters a terminal would run."""
    from seislearn.papers.safe_output import strip_control

    print(strip_control(text))


def _write_data(text: str) -> None:
    """Write CSV/JSON to stdout: as it is into a pipe or file, stripped on a terminal."""
    from seislearn.papers.safe_output import strip_control

    sys.stdout.write(strip_control(text) if sys.stdout.isatty() else text)


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()] if text else []


def _write_csv(header: list[str], rows: list[list[Any]], keep_formulas: bool = False) -> None:
    import csv
    import io

    from seislearn.papers.safe_output import neutralise_formula

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        cells = [str(c) for c in row]
        writer.writerow(cells if keep_formulas else [neutralise_formula(c) for c in cells])
    _write_data(buffer.getvalue())


def _stats(args: argparse.Namespace) -> int:
    from seislearn.papers import query

    table = _load(args)
    blocks: list[tuple[str, list[str], list[list[Any]]]] = []
    if args.crosstab:
        rows_field, cols_field = args.crosstab
        row_labels, col_labels, counts = query.crosstab(
            table.papers, rows_field, cols_field, combine=args.combine
        )
        header = [f"{rows_field} \\ {cols_field}", *col_labels, "total"]
        body = [[r, *c, sum(c)] for r, c in zip(row_labels, counts, strict=True)]
        blocks.append((f"{rows_field} x {cols_field}", header, body))
    fields = args.by or ([] if args.crosstab else ["category", "year", "network_type"])
    for name in fields:
        counts = query.count_by(table.papers, name, combine=args.combine)
        ordered = (
            sorted(counts.items())
            if name == "year"
            else sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        blocks.append((f"papers by {name}", [name, "papers"], [list(kv) for kv in ordered]))
    if args.format == "json":
        out = {
            title: [dict(zip(header, row, strict=True)) for row in body]
            for title, header, body in blocks
        }
        _write_data(query.dumps({"papers": len(table), **out}) + "\n")
    elif args.format == "csv":
        for _, header, body in blocks:
            _write_csv(header, body)
    else:
        print(f"{len(table)} papers from {table.source}")
        for title, header, body in blocks:
            _print(f"\n{title}")
            _print(query.format_table(header, body, max_width=40))
    return 0


def _export(args: argparse.Namespace) -> int:
    from seislearn.papers import export

    table = _load(args)
    path = export.write(
        table.papers,
        args.to,
        args.format,
        include_raw=args.include_raw,
        overwrite=args.overwrite,
        keep_formulas=args.keep_formulas,
    )
    print(f"wrote {len(table)} papers to {path}")
    return 0


def _site(args: argparse.Namespace) -> int:
    from seislearn.papers.site import build_site

    table = _load(args)
    path, summary = build_site(
        table.papers,
        args.out,
        source=Path(table.source or "").name,
        title=args.title,
        overwrite=args.overwrite,
    )
    sectors = summary["sectors"]
    print(
        f"wrote {path} ({summary['bytes'] / 1e6:.1f} MB, {summary['papers']} papers; "
        f"sunburst sectors: applications {sectors['applications']}, "
        f"networks {sectors['networks']})"
    )
    return 0


def _download(args: argparse.Namespace) -> int:
    from seislearn.papers.download import download, file_digest

    path = download(args.dataset, args.source, url=args.url, force=args.force)
    print(f"{path}\nsha256 {file_digest(path)}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from seislearn.papers.contribute import add_entries

    added, problems = add_entries(args.entry, args.to)
    for problem in problems:
        _print(f"  {problem.field}: {problem.kind}: {problem.message}")
    print(f"appended {added} entr{'y' if added == 1 else 'ies'} to {args.to}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from seislearn.papers.contribute import diff_tables, format_diff
    from seislearn.papers.load import load_papers
    from seislearn.papers.query import dumps

    result = diff_tables(load_papers(args.old), load_papers(args.new))
    if args.format == "json":
        _write_data(dumps(result) + "\n")
    else:
        _print(format_diff(result))
    return 0
