"""`tutor study …`: thin commands over StudyService, with a stable JSON form for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from tutor.clierrors import friendly_errors
from tutor.study.service import StudyService


def _service(ctx: click.Context) -> StudyService:
    """Built once per command from the settings the main group made."""
    settings = ctx.find_root().obj.settings
    return StudyService.from_settings(settings, readings=ctx.find_root().obj.readings)


def _emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


learner_option = click.option("--learner", required=True, metavar="NAME", help="Whose record (created on first use).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")


@click.group()
def study() -> None:
    """Practise the path: self-check items, mastery per concept, spaced reviews."""


@study.command(name="next")
@learner_option
@click.option("--concept", metavar="ID", help="Practise this concept (note id or slug) instead of the path's next.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Item language.")
@json_option
@click.pass_context
@friendly_errors
def next_cmd(ctx: click.Context, learner: str, concept: str | None, lang: str, as_json: bool) -> None:
    """Propose the next item: due reviews first, then the earliest ready concept on the path."""
    proposal = _service(ctx).next(learner, concept, lang)
    if as_json:
        _emit(proposal.as_json())
        return
    data = proposal.as_json()
    click.echo(f"[{data['item_id']}] ({data['kind']}, {data['level']})  {data['question']}")
    for choice in data.get("choices", []):
        click.echo(f"   {choice}")
    click.echo(f"\n{data['why']}")
    click.echo(f'Answer with: tutor study answer {data["item_id"]} "…" --learner {learner}')


@study.command()
@click.argument("item_id")
@click.argument("answer")
@learner_option
@json_option
@click.pass_context
@friendly_errors
def answer(ctx: click.Context, item_id: str, answer: str, learner: str, as_json: bool) -> None:
    """Grade ANSWER (a choice letter, or free text) to ITEM_ID and record it."""
    service = _service(ctx)
    result = service.answer(learner, item_id, answer)
    if as_json:
        _emit(result.as_json())
        return
    g = result.grade
    verdict = "right" if g.correct else "not yet"
    click.echo(f"{verdict} · score {g.score:.2f} · mastery {result.mastery:.0%} · next review {result.next_review}")
    if g.chosen_wrong:
        click.echo(f"Your choice: {g.chosen_wrong}")
    if g.points:  # open answers: which key points were made
        for point in g.hit:
            click.echo(f"  ✓ {point}")
        for point in g.missed:
            click.echo(f"  ✗ {point}")
    click.echo(f"\n{g.feedback}")
    lang = service.item(item_id).lang
    for source in g.read:
        click.echo(f"Read: {service.where(source, lang)}")


@study.command()
@learner_option
@json_option
@click.pass_context
@friendly_errors
def progress(ctx: click.Context, learner: str, as_json: bool) -> None:
    """Mastery per stage and concept, which concepts are ready and which reviews are due."""
    report = _service(ctx).progress(learner)
    if as_json:
        _emit(report.as_json())
        return
    for s in report.stages:
        bar = "█" * s.mastered + "·" * (s.total - s.mastered)
        click.echo(f"{s.title_en:<48} {bar} {s.mastered}/{s.total}")
    click.echo()
    for c in report.concepts:
        flags = " ".join(f for f, on in (("ready", c.ready), ("due", c.due)) if on)
        click.echo(f"  {c.id:<38} {c.mastery:5.0%}  {flags}")


@study.command()
@learner_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@friendly_errors
def reset(ctx: click.Context, learner: str, yes: bool) -> None:
    """Forget LEARNER's attempts, reviews, chat exposure and sections read."""
    service = _service(ctx)
    service.require_learner(learner)
    if not yes:
        click.confirm(f"Erase the whole study record of {learner}?", abort=True)
    service.reset(learner)
    click.echo(f"Reset {learner}.", err=True)


@study.command(name="export")
@learner_option
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
@click.pass_context
@friendly_errors
def export_cmd(ctx: click.Context, learner: str, output: Path | None) -> None:
    """Write LEARNER's whole record as JSON (to move it to another machine or browser)."""
    text = json.dumps(_service(ctx).export(learner), ensure_ascii=False, indent=1)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text)


@study.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--learner", metavar="NAME", help="Import into this learner (default: the name in the file).")
@click.pass_context
@friendly_errors
def import_cmd(ctx: click.Context, file: Path, learner: str | None) -> None:
    """Merge a record written by `tutor study export` (importing twice changes nothing)."""
    from tutor.study.errors import StudyError

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except OSError as exc:
        raise StudyError(f"Cannot read {file}: {exc.strerror}.") from exc
    name = _service(ctx).import_record(text, learner)
    click.echo(f"Imported into {name}.", err=True)


@study.command(name="class")
@click.option("--questions", default=10, show_default=True, help="How many of the most asked questions to list.")
@json_option
@click.pass_context
@friendly_errors
def class_cmd(ctx: click.Context, questions: int, as_json: bool) -> None:
    """The teacher's view: per stage and concept who practised, mastery, who is stuck, the questions asked most."""
    from tutor.accounts import Accounts
    from tutor.study.teacher import class_view

    settings = ctx.find_root().obj.settings
    roster = [a.name for a in Accounts.from_settings(settings).list() if not a.teacher]
    view = class_view(_service(ctx), roster, questions)
    if as_json:
        _emit(view.as_json())
        return
    click.echo(f"{len(view.learners)} learners, {view.attempts} answers")
    for learner in view.learners:
        stuck = f"  stuck on {', '.join(learner.stuck)}" if learner.stuck else ""
        click.echo(
            f"  {learner.name:<24} {learner.attempts:>4} answers, {learner.correct:>4} right, "
            f"{learner.mastered} mastered{stuck}"
        )
    for stage in view.stages:
        click.echo(f"\n{stage.title_en} · {stage.title_zh}: {len(stage.practised)} practised")
        for c in (c for c in view.concepts if c.stage == stage.stage and c.learners):
            stuck = f", stuck: {', '.join(c.stuck)}" if c.stuck else ""
            click.echo(
                f"  {c.id:<38} {len(c.learners)} practised, mean mastery {c.mean_mastery:.0%}, "
                f"{len(c.mastered)} mastered{stuck}"
            )
    if view.questions:
        click.echo("\nAsked most:")
        for q in view.questions:
            click.echo(f"  {q.times:>3}× ({q.learners} learners)  {q.question}")


@study.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--fit", is_flag=True, help="Also search the similarity thresholds that fit the labels best.")
@json_option
@click.pass_context
@friendly_errors
def calibrate(ctx: click.Context, file: Path | None, fit: bool, as_json: bool) -> None:
    """Grade the labelled open answers (default eval/grading.jsonl): accuracy and fluent-wrong acceptance."""
    from tutor.config import PROJECT_ROOT
    from tutor.study import calibration

    grader = _service(ctx).grader
    cases = calibration.load_cases(file or PROJECT_ROOT / "eval" / "grading.jsonl")
    summary = calibration.summarise(calibration.run(grader, cases))
    if fit:
        fitted = calibration.fit(grader, [c for c in cases if c.split == "dev"])
        summary["fitted"] = {pair: vars(t) for pair, t in fitted.pairs.items()}
        summary["fitted_summary"] = calibration.summarise(calibration.run(grader.with_calibration(fitted), cases))
    if as_json:
        _emit(summary)
        return
    click.echo(
        f"{summary['n']} answers · accuracy {summary['accuracy']:.3f} · fluent wrong accepted "
        f"{summary['fluent_wrong_accepted']:.1%} of {summary['fluent_wrong_n']} · right answers rejected "
        f"{summary['right_rejected']:.1%}"
    )
    for key in ("by_language", "by_kind", "by_split"):
        click.echo(f"  {key}: {json.dumps(summary[key], ensure_ascii=False)}")
    if fit:
        click.echo(f"  fitted thresholds: {json.dumps(summary['fitted'])}")
        click.echo(f"  with them: accuracy {summary['fitted_summary']['accuracy']:.3f}")
