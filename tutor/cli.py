"""The `tutor` command: thin click commands over the library modules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from tutor.clierrors import friendly_errors
from tutor.config import LEVELS, Settings
from tutor.errors import ConfigError, TutorError
from tutor.readings import ReadingList, load_reading_list

console = Console(stderr=True)
out = Console()


class Context:
    """What every command needs, built once at the edge."""

    def __init__(self) -> None:
        try:
            self.settings = Settings()
        except ValidationError as exc:
            raise ConfigError(f"Invalid configuration (TUTOR_* variables or tutor.toml):\n{exc}") from exc
        self.readings: ReadingList = load_reading_list(self.settings.data.corpus)


pass_ctx = click.make_pass_decorator(Context)


@click.group()
@click.version_option(package_name="tutor")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A study tutor for learning how LLMs work, following a reading path from ML basics to serving."""
    try:
        ctx.obj = Context()
    except TutorError as exc:  # the settings themselves are wrong, so there is no `debug` setting to consult
        raise click.ClickException(str(exc)) from exc


# ------------------------------------------------------------------------------------------ library


@main.command()
@click.argument("ids", nargs=-1)
@pass_ctx
@friendly_errors
def fetch(ctx: Context, ids: tuple[str, ...]) -> None:
    """Download the open-access readings (or just IDS) into the library."""
    from tutor.library import fetch_all

    rows = []
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(reading_id: str, done: int, total: int | None) -> None:
            if reading_id not in tasks:
                tasks[reading_id] = bar.add_task(reading_id, total=total)
            bar.update(tasks[reading_id], completed=done, total=total)

        for result in fetch_all(ctx.settings, ctx.readings, list(ids) or None, progress):
            rows.append(result)
    table = Table("reading", "status", "detail", title=f"Library: {ctx.settings.library_dir}")
    style = {"downloaded": "green", "present": "green", "failed": "red", "not-open": "dim"}
    for r in rows:
        table.add_row(r.reading_id, f"[{style[r.status]}]{r.status}[/]", r.message)
    out.print(table)
    failed = [r for r in rows if r.status == "failed"]
    if failed:
        console.print(
            f"[red]{len(failed)} download(s) failed.[/] Run `tutor fetch` again to resume, or add "
            "files by hand: `tutor add FILE --as READING_ID`."
        )
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as", "as_id", metavar="READING_ID", help="The reading this file is (see `tutor status`).")
@click.option(
    "--force",
    is_flag=True,
    help="Replace a reading's different file (the old one is kept until the next --force of that reading), accept "
    "a file whose title cannot be checked (never another reading's, nor another kind of document), or one over "
    "the size limit.",
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Add what a symbolic link points to even when that is outside the link's folder.",
)
@pass_ctx
@friendly_errors
def add(ctx: Context, paths: tuple[Path, ...], as_id: str | None, force: bool, follow_symlinks: bool) -> None:
    """Import local files (PDF, rst, md, html, txt) into the library. Never deletes or overwrites a file."""
    from tutor.echo import shown
    from tutor.errors import LibraryError
    from tutor.library import add_file

    if as_id and len(paths) > 1:
        raise LibraryError("--as names one reading, so pass one file with it.")
    colour = {"added": "green", "replaced": "yellow", "unchanged": "dim", "skipped": "yellow"}
    refused: list[str] = []
    changed = False
    for path in paths:
        try:
            result = add_file(ctx.settings, ctx.readings, path, as_id, force, follow_symlinks)
        except TutorError as exc:
            if len(paths) == 1:
                raise
            console.print(f"[red]not added:[/] {escape(str(exc))}", highlight=False)
            refused.append(str(path))
            continue
        changed = changed or result.status in ("added", "replaced")
        extra = f" ({result.note})" if result.note else ""
        line = escape(f"{shown(str(path), 160)} → {result.doc_id}{extra}")
        out.print(f"[{colour[result.status]}]{result.status}[/]: {line}", highlight=False)
        if result.warning:
            console.print(f"[yellow]{escape(result.warning)}[/]", highlight=False)
    if changed:
        out.print("Run `tutor ingest` to index the new files.")
    if refused:
        raise LibraryError(f"{len(refused)} of {len(paths)} files were not added (reasons above).")


@main.command()
@click.argument("doc_id")
@pass_ctx
@friendly_errors
def remove(ctx: Context, doc_id: str) -> None:
    """Delete DOC_ID's file (and any backups) from the library; the next ingest drops it from the index."""
    from tutor.library import remove_doc
    from tutor.store import Store

    result = remove_doc(ctx.settings, doc_id)
    for path in result.removed:
        out.print(f"deleted {path}", markup=False, highlight=False)
    try:
        entry = Store(ctx.settings).manifest.docs.get(doc_id)
    except TutorError:
        entry = None
    index = f"its {entry.chunks} chunks" if entry else "it"
    out.print(
        f"removed {doc_id}: {len(result.removed)} file(s), {result.bytes / 1e6:.1f} MB. "
        f"Run `tutor ingest` to drop {index} from the index.",
        markup=False,
        highlight=False,
    )


# ------------------------------------------------------------------------------------------ index


class RichReporter:
    """Progress bar per document while it is embedded."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, source: Any, total: int) -> None:
        self.task = self.progress.add_task(source.doc_id, total=total, unit="chunks")

    def ocr_progress(self, source: Any, done: int, total: int) -> None:
        if done == 0:
            self.task = self.progress.add_task(source.doc_id, total=total, unit="pages (OCR)")
        elif self.task is not None:
            self.progress.update(self.task, completed=done)

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)

    def finish(self, row: Any) -> None:
        if row.status == "failed":
            self.progress.console.print(f"[red]skipped[/] {row.doc_id}: {row.note}")

    def waiting(self) -> None:
        self.progress.console.print("Another ingest is running on this index; waiting for it to finish…")


def run_ingest(ctx: Context, store: Any, table_to: Console | None = None) -> list[Any]:
    """Ingest into `store` with progress on stderr and a summary table (stdout unless told)."""
    from tutor.ingest import ingest

    columns = (
        TextColumn("{task.description:<36}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
    )
    with Progress(*columns, console=console) as progress:
        rows = ingest(ctx.settings, ctx.readings, store, RichReporter(progress))
    table = Table("document", "pages", "chunks", "status", "note", title="Ingest")
    colour = {"indexed": "green", "updated": "green", "unchanged": "dim", "failed": "red", "removed": "yellow"}
    for r in rows:
        table.add_row(r.doc_id, str(r.pages or ""), str(r.chunks), f"[{colour[r.status]}]{r.status}[/]", r.note)
    (table_to or out).print(table)
    return rows


def fetch_missing(ctx: Context) -> None:
    """First use: download the open-access readings the library lacks (quickly gives up offline)."""
    from tutor.library import fetch_all, find_in_library

    wanted = [r.id for r in ctx.readings.readings if r.fetchable and not find_in_library(ctx.settings, r.id)]
    if not wanted:
        return
    console.print(f"Fetching {len(wanted)} open-access readings (`tutor fetch`)…")
    results = list(fetch_all(ctx.settings, ctx.readings, wanted))
    got = sum(r.status == "downloaded" for r in results)
    if got < len(wanted):
        console.print(
            f"[yellow]{len(wanted) - got} could not be downloaded[/] (offline?). The tutor still works "
            "with its own notes; add papers later with `tutor fetch` or `tutor add FILE`."
        )


def ensure_index(ctx: Context, table_to: Console | None = None) -> Any:
    """Open the index, building it first when it is empty (first use)."""
    from tutor.store import Store

    store = Store(ctx.settings)
    if not store.manifest.docs:
        console.print("[bold]No index yet: building it now[/] (later runs only index what changed).")
        fetch_missing(ctx)
        run_ingest(ctx, store, table_to)  # the same store: its manifest is updated in place
    return store


@main.command(name="ingest")
@pass_ctx
@friendly_errors
def ingest_cmd(ctx: Context) -> None:
    """Index the library and the project's notes (only what changed since last time)."""
    from tutor.store import Store

    rows = run_ingest(ctx, Store(ctx.settings))
    failed = sum(r.status == "failed" for r in rows)
    if failed:
        console.print(f"[yellow]{failed} document(s) could not be read and were skipped (see notes above).[/]")


@main.command()
@click.argument("document")
@pass_ctx
@friendly_errors
def sections(ctx: Context, document: str) -> None:
    """List the sections and pages tutor finds in DOCUMENT (a reading id in the library, or a file path)."""
    from tutor.errors import LibraryError
    from tutor.library import SUPPORTED_SUFFIXES, find_in_library
    from tutor.loaders import load_file
    from tutor.ocr import PageOcr

    path = find_in_library(ctx.settings, document) or Path(document)
    if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise LibraryError(f"{document}: neither a reading in the library nor a supported file.")
    reading = ctx.readings.by_id.get(path.stem)
    ocr = PageOcr.from_settings(ctx.settings, reading.title if reading else None)  # cached pages are reused
    loaded = load_file(path, SUPPORTED_SUFFIXES[path.suffix.lower()], ctx.settings.ingest.min_text_quality, ocr=ocr)
    table = Table("section", "pages", "characters", title=str(path))
    spans: dict[str, list[int]] = {}
    for block in loaded.blocks:
        span = spans.setdefault(block.section or "(before the first heading)", [block.page, block.page, 0])
        span[1] = block.page
        span[2] += len(block.text)
    for name, (first, last, chars) in spans.items():
        table.add_row(name, (f"{first}" if first == last else f"{first}-{last}") if first else "", f"{chars:,}")
    out.print(table)


@main.command()
@pass_ctx
@friendly_errors
def status(ctx: Context) -> None:
    """Which readings are in the library and indexed; where the index is and how big."""
    from tutor.library import is_own_document, list_library
    from tutor.store import Store

    store = Store(ctx.settings)
    files = {f.doc_id: f for f in list_library(ctx.settings, ctx.readings)}
    docs = store.manifest.docs
    table = Table("stage", "reading", "in library", "indexed", "chunks", title="Reading path")
    for stage in ctx.readings.ordered_stages():
        for r in ctx.readings.in_stage(stage.id):
            entry = docs.get(r.id)
            have = "[green]yes[/]" if r.id in files else ("[dim]fetchable[/]" if r.fetchable else "[dim]no[/]")
            table.add_row(stage.id, r.id, have, "[green]yes[/]" if entry else "no", str(entry.chunks if entry else ""))
    out.print(table)
    own = [d for d in docs if is_own_document(d)]
    notes = [d for d in docs if d.startswith("note-")]
    location = ctx.settings.chroma.url or ctx.settings.chroma_dir
    size_mb = store.size_bytes() / 1e6
    out.print(f"Your documents indexed: {len(own)}   Note files indexed: {len(notes)}   Chunks: {store.count()}")
    out.print(
        f"Index: {location} ({size_mb:.1f} MB, embedding model {ctx.settings.embedding.model}, "
        f"generation {store.generation})"
    )
    missing = [r.id for r in ctx.readings.readings if r.id not in files and r.fetchable]
    if missing:
        out.print(f"{len(missing)} open-access reading(s) not downloaded yet: run `tutor fetch`.")


# ------------------------------------------------------------------------------------------ answers


@main.command()
@click.argument("question")
@click.option("--level", type=click.Choice(LEVELS), default="beginner", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(["auto", "en", "zh"]),
    default="auto",
    show_default=True,
    help="Answer language; auto answers in the question's language.",
)
@click.option(
    "--backend",
    type=click.Choice(["extractive", "openai", "local"]),
    default=None,
    help="Default: openai when TUTOR_LLM_BASE_URL is set, else extractive.",
)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object (the stable contract).")
@pass_ctx
@friendly_errors
def ask(ctx: Context, question: str, level: str, lang: str, backend: str | None, as_json: bool) -> None:
    """Answer QUESTION from the readings, with citations and what to read next."""
    import json

    from tutor.answer import Answer, Tutor, is_reset

    tutor = Tutor.from_settings(ctx.settings, ensure_index(ctx, console), backend)
    tutor.check_question(question, level)
    answer: Answer | None = None
    for piece in tutor.stream(question, level, lang):
        if isinstance(piece, Answer):
            answer = piece
        elif not as_json:
            out.print("\n" if is_reset(piece) else piece, end="", markup=False, highlight=False)
    assert answer is not None
    if answer.notice:
        console.print(f"[yellow]{answer.notice}[/]")
    if as_json:
        click.echo(json.dumps(answer.as_json(), ensure_ascii=False))
        return
    print_sources(answer)


def print_sources(answer: Any) -> None:
    out.print()
    if answer.citations:
        out.print("[bold]Sources[/]")
        for c in answer.citations:
            out.print(f"  [{c.n}] {c.label}", markup=False, highlight=False)
            if c.url:
                out.print(f"      {c.url}", style="blue", markup=False)
            if c.quote:  # a note's section is cited by name; it has no sentence to show
                out.print(f"      “{c.quote}”", style="dim", markup=False, highlight=False)
    if answer.read_next:
        out.print("[bold]Read next[/]")
        for r in answer.read_next:
            section = f" — {r.section}" if r.section else ""
            out.print(f"  • {r.title}{section}: {r.why}", markup=False, highlight=False)


@main.command(name="eval")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(["extractive", "openai", "local"]),
    default="extractive",
    show_default=True,
    help="openai/local also score the offline card on the same questions, side by side.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per question, then a summary object.")
@click.option(
    "--split",
    type=click.Choice(["all", "train", "dev"]),
    default="all",
    show_default=True,
    help="For the selector's labelled questions (eval/select/): only the train or the dev split.",
)
@pass_ctx
@friendly_errors
def eval_cmd(ctx: Context, file: Path | None, backend: str, as_json: bool, split: str) -> None:
    """Score answers (facts, topic, refusals, language, quotes) and retrieval on a question file.

    Default: eval/questions.jsonl. A folder or file of labelled questions (eval/select/, eval/test/) is scored
    on decisions, right answers, facts, verdicts and the learner's own documents. `--json` prints one line per
    question, then the summary.
    """
    import json

    from tutor.answer import Tutor
    from tutor.config import PROJECT_ROOT
    from tutor.evaluate import is_labelled, load_questions, outcome_line, run, run_labelled_eval, summarise

    target = file or PROJECT_ROOT / "eval" / "questions.jsonl"
    tutor = Tutor.from_settings(ctx.settings, ensure_index(ctx, console), backend)
    if is_labelled(target):
        run_labelled_eval(tutor, target, split, as_json)
        return
    questions = load_questions(target)
    outcomes = []
    with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), console=console, disable=as_json) as bar:
        task = bar.add_task("eval", total=len(questions))
        for outcome in run(tutor, questions):
            outcomes.append(outcome)
            bar.advance(task)
            if as_json:
                click.echo(outcome_line(outcome))
    summary = summarise(outcomes)
    if backend != "extractive":  # the offline card on the same questions, for comparison
        from tutor.answer import ExtractiveBackend

        summary["card"] = summarise(list(run(tutor, questions, backend=ExtractiveBackend())))["all"]
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    print_summary(summary, len(questions))
    if summary.get("generation"):
        print_generation(summary)


def print_generation(summary: dict[str, Any]) -> None:
    """The LLM backend's own numbers, beside the offline card's on the same questions."""
    g, card, shown = summary["generation"], summary.get("card") or {}, summary["all"]
    out.print(
        f"Generated answers: {g['answers']}, grounding {_fmt(g['grounding'])}, "
        f"conflicts caught {g['conflicts_caught']}, unsupported removed {g['unsupported_removed']}, "
        f"fell back to the card {_fmt(g['fell_back'])}, "
        f"over budget {g['over_budget']}, stopped {g['stopped']}"
    )
    out.print(
        f"Speed: first token p50 {g['first_token_ms_p50']} ms (p95 {g['first_token_ms_p95']}), first checked "
        f"sentence p50 {g['first_text_ms_p50']} ms, whole answer p50 {g['total_ms_p50']} ms (p95 {g['total_ms_p95']}), "
        f"{g['tokens_per_s_p50']} tokens/s"
    )
    out.print(
        f"Beside the offline card: facts {_fmt(shown['facts_coverage'])} vs {_fmt(card.get('facts_coverage'))}, "
        f"refusals {_fmt(shown['refusals'])} vs {_fmt(card.get('refusals'))}, language "
        f"{_fmt(shown['right_language'])} vs {_fmt(card.get('right_language'))}"
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def print_summary(summary: dict[str, Any], count: int) -> None:
    """The eval summary as one table: a row per slice, answer quality beside retrieval."""
    table = Table(
        "slice",
        "n",
        "hit@1",
        "hit@5",
        "MRR",
        "facts",
        "facts full",
        "refusals",
        "language",
        "junk quotes",
        title=f"Answers to {count} questions",
    )
    rows = [("all", summary["all"])]
    rows += [(f"lang={k}", v) for k, v in summary["by_language"].items()]
    rows += [(f"stage={k}", v) for k, v in summary["by_stage"].items()]
    rows += [(f"tag={k}", v) for k, v in summary["by_tag"].items()]
    for name, s in rows:
        refusals = f"{_fmt(s['refusals'])} ({s['refused_n']})" if s["refused_n"] else "–"
        table.add_row(
            name,
            str(s["n"]),
            _fmt(s["hit@1"]),
            _fmt(s["hit@5"]),
            _fmt(s["mrr"]),
            _fmt(s["facts_coverage"]),
            _fmt(s["facts_full"]),
            refusals,
            _fmt(s["right_language"]),
            _fmt(s["junk_quote_rate"]),
        )
    wide = out if out.is_terminal and out.width >= 150 else Console(width=150)  # ten columns need the room
    wide.print(table)
    lat = summary["latency_ms"]
    out.print(
        f"Conversation cases on the right topic (or still refused): {_fmt(summary['conversation_on_topic'])}   "
        f"Markers the backend wrote that pointed nowhere: {summary['unresolved_markers']}"
    )
    out.print(
        f"Latency: retrieve p50 {lat['retrieve_p50']} ms, p95 {lat['retrieve_p95']} ms; "
        f"whole answer p50 {lat['total_p50']} ms, p95 {lat['total_p95']} ms"
    )


# ------------------------------------------------------------------------------------------ web


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1: this machine only).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@pass_ctx
@friendly_errors
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve the web tutor (builds the index first if there is none)."""
    from tutor.answer import Tutor

    if host:
        ctx.settings.server.host = host
    if port:
        ctx.settings.server.port = port
    store = ensure_index(ctx)
    tutor = Tutor.from_settings(ctx.settings, store)
    from tutor.web.server import serve as run_server

    url = f"http://{ctx.settings.server.host}:{ctx.settings.server.port}/"
    console.print(f"[bold green]tutor is up:[/] {url}  (Ctrl-C to stop)")
    run_server(ctx.settings, tutor)


from tutor.numbers.cli import numbers  # noqa: E402 -- registered with the main group below
from tutor.study.cli import study  # noqa: E402 -- a command group of its own, registered on main
from tutor.userscli import users  # noqa: E402 -- classroom accounts

main.add_command(study)
main.add_command(numbers)
main.add_command(users)
main.add_command(__import__("tutor.audit", fromlist=["audit_cmd"]).audit_cmd)  # `tutor audit`: citations checked
