from __future__ import annotations

from pathlib import Path

import pytest

from tutor.errors import ConfigError
from tutor.readings import ReadingList, load_reading_list

REQUIRED_IDS = [
    "zhou2016-ml-book",
    "li2012-statistical-learning",
    "bishop2006-prml",
    "xgboost-docs-boosted-trees",
    "friedman2001-gbm",
    "chen2016-xgboost",
    "he2015-resnet",
    "se-resnet-boosting",
    "se-gradients-vs-residuals",
    "zhihu-resnet-answer",
    "bahdanau2014-nmt",
    "rendle2010-fm",
    "graves2014-ntm",
    "vaswani2017-attention",
    "devlin2018-bert",
    "radford2018-gpt",
    "radford2019-gpt2",
    "brown2020-gpt3",
    "chen2021-codex",
    "miao2023-llm-serving-survey",
    "mikolov2013-word2vec",
    "mikolov2013-negative-sampling",
]
STAGES_IN_ORDER = ["foundations", "boosting-residual", "attention", "llms", "further"]


@pytest.mark.parametrize("reading_id", REQUIRED_IDS)
def test_every_reading_the_article_recommends_is_listed_with_a_stage(readings: ReadingList, reading_id: str) -> None:
    reading = readings.get(reading_id)
    assert reading.stage in STAGES_IN_ORDER
    assert reading.title and reading.authors and reading.url.startswith("https://")
    assert reading.sections, "the article points learners at specific sections"


def test_stages_follow_the_article_order(readings: ReadingList) -> None:
    assert [s.id for s in readings.ordered_stages()] == STAGES_IN_ORDER
    assert all(s.title_zh and s.title_en for s in readings.stages)


def test_readings_that_cannot_be_redistributed_have_no_download(readings: ReadingList) -> None:
    for rid in ["zhou2016-ml-book", "li2012-statistical-learning", "se-resnet-boosting", "zhihu-resnet-answer"]:
        assert not readings.get(rid).fetchable


def test_page_links_point_into_the_open_pdf(readings: ReadingList) -> None:
    vaswani = readings.get("vaswani2017-attention")
    assert vaswani.page_url(4) == "https://arxiv.org/pdf/1706.03762v5#page=4"
    assert readings.get("zhou2016-ml-book").page_url(4) == readings.get("zhou2016-ml-book").url


def test_unknown_reading_id_names_the_known_ones(readings: ReadingList) -> None:
    with pytest.raises(ConfigError, match="Unknown reading id 'nope'.*vaswani2017-attention"):
        readings.get("nope")


def test_reading_with_unknown_stage_is_rejected_with_its_id(tmp_path: Path) -> None:
    (tmp_path / "readings.toml").write_text(
        '[[stages]]\nid="a"\norder=1\ntitle_en="A"\ntitle_zh="A"\nsummary_en="s"\nsummary_zh="s"\n'
        '[[readings]]\nid="x"\ntitle="X"\nauthors=["Y"]\nyear=2000\nvenue="V"\nkind="paper"\nstage="zzz"\n'
        'url="https://x"\nlicence="l"\nwhy_en="w"\nwhy_zh="w"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="reading 'x' has unknown stage 'zzz'"):
        load_reading_list(tmp_path)


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "readings.toml").write_text("[[readings]\nid=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_reading_list(tmp_path)


def test_tutor_toml_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.config import Settings

    (tmp_path / "tutor.toml").write_text('[ingest]\nchunk_size = 800\n[llm]\nmodel = "from-toml"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUTOR_LLM_MODEL", "from-env")
    settings = Settings()
    assert settings.ingest.chunk_size == 800
    assert settings.llm.model == "from-env"
