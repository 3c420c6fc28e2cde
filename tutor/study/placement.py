"""The placement check: a few multiple-choice items across the stages, so a learner who already knows the
foundations does not start from zero.

The items are the practice items marked `placement = true` (about eight per language, in path order). A stage
counts as known when every one of its placement items was answered right, and the check places the learner
through the last stage of an unbroken run of known stages from the start: knowing attention but not the
foundations places nowhere, because the path builds on them. Every concept of a placed stage, and every
concept those need, starts at the mastery `PLACED` (mastered until the learner's own answers say otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.study.grading import Grader
from tutor.study.items import Item, ItemBank
from tutor.study.mastery import ConceptPath


@dataclass(frozen=True)
class PlacementResult:
    """What the check found: the stage placed through ('' for none), the concepts that start as known, and
    each item's verdict in the order asked."""

    stage: str
    placed: frozenset[str]
    right: dict[str, bool]

    @property
    def score(self) -> int:
        return sum(self.right.values())


def placement_items(bank: ItemBank, path: ConceptPath, lang: str) -> list[Item]:
    """The check's items in the learner's language (English where a concept has none in it), in path order."""
    order = {c.id: i for i, c in enumerate(path.concepts)}
    chosen: dict[str, list[Item]] = {}
    for concept in order:
        items = [i for i in bank.for_concept(concept) if i.placement]
        own = [i for i in items if i.lang == lang] or [i for i in items if i.lang == "en"]
        if own:
            chosen[concept] = own
    return [item for concept in sorted(chosen, key=order.__getitem__) for item in chosen[concept]]


def placed_concepts(path: ConceptPath, bank: ItemBank, stage: str) -> frozenset[str]:
    """Every concept of the stages up to `stage`, and everything they need, that is practised (quiz) at all."""
    if stage not in path.stage_order:
        return frozenset()
    last = path.stage_order[stage]
    found: set[str] = set()
    waiting = [c.id for c in path.concepts if path.stage_order[c.stage] <= last]
    while waiting:
        concept = waiting.pop()
        if concept in found or concept not in path.by_id:
            continue
        found.add(concept)
        waiting.extend(path.by_id[concept].prerequisites)
    return frozenset(c for c in found if bank.quiz(c))


def place(
    path: ConceptPath, bank: ItemBank, grader: Grader, items: list[Item], answers: dict[str, str]
) -> PlacementResult:
    """Grade the answers given (an item left out is not known) and find the stage to start after."""
    right = {item.id: bool(answers.get(item.id)) and grader.grade(item, answers[item.id]).correct for item in items}
    by_stage: dict[str, list[bool]] = {}
    for item in items:
        by_stage.setdefault(path.by_id[item.concept].stage, []).append(right[item.id])
    stage = ""
    for candidate in path.stages():
        if candidate not in by_stage:
            continue
        if not all(by_stage[candidate]):
            break
        stage = candidate
    return PlacementResult(stage, placed_concepts(path, bank, stage) if stage else frozenset(), right)
