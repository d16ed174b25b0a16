"""Rasa's training cache is kept per version of the NLU code: a change to the code (the crisis
lexicon's patterns are concept features) trains the components again instead of restoring their
old output, and a change to the data alone keeps the cache."""

from pathlib import Path

from safeshare import launcher


def _project(root: Path) -> None:
    for name, text in {
        "config.yml": "pipeline: []\n",
        "domain.yml": "version: '3.1'\n",
        "data/nlu/en/x.yml": "nlu: []\n",
        "safeshare/nlu/x.py": "A = 1\n",
        "safeshare/crisis.py": "P = 'nude'\n",
        "safeshare/text.py": "",
        "safeshare/language.py": "",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_code_change_gets_a_new_cache_and_the_old_one_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher, "PROJECT_ROOT", tmp_path)
    _project(tmp_path)
    first = launcher.training_cache()
    first.mkdir(parents=True)
    (tmp_path / "data/nlu/en/x.yml").write_text("nlu: [changed]\n")
    assert launcher.training_cache() == first  # data only: the same cache
    (tmp_path / "safeshare/crisis.py").write_text("P = 'nude|naked'\n")
    second = launcher.training_cache()
    assert second != first and second.parent == tmp_path / ".rasa"
    assert not first.exists()
