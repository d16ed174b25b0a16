"""Build SafeShare's spaCy pipeline from code, reproducibly, with no download.

A blank English pipeline with:
- a tokenizer that splits every CJK character into its own token, so phrase patterns written in
  Chinese (臉書, 我個女) match inside unsegmented Chinese text and code-mixed text (個IG set做private);
- a lookup lemmatizer (tables from `spacy-lookups-data`), whose lemmas SafeShare's tokenizer uses;
- an entity ruler built from `data/nlu/entities/gazetteer.yml`: every `lookup` names an entity and
  its canonical values, every `synonym` lists spellings of one value. Rasa's `SpacyEntityExtractor`
  passes the spans on and `EntitySynonymMapper` maps them to the canonical value.

Usage: python -m safeshare.nlu.spacy_builder [--gazetteer PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import yaml

from safeshare.settings import PROJECT_ROOT
from safeshare.text import CJK_PUNCTUATION, HAN, KANA

DEFAULT_GAZETTEER = PROJECT_ROOT / "data" / "nlu" / "entities" / "gazetteer.yml"
DEFAULT_OUTPUT = PROJECT_ROOT / "build" / "spacy" / "safeshare_en"
CJK_CHAR = f"[{HAN}{KANA}{CJK_PUNCTUATION}]"
BUILDER_VERSION = "3"


def _examples(block: dict) -> list[str]:
    return [
        line.strip()[2:].strip()
        for line in str(block.get("examples", "")).splitlines()
        if line.strip().startswith("- ")
    ]


def load_patterns(gazetteer: Path) -> list[dict]:
    """Entity-ruler patterns: each synonym group belongs to the latest lookup naming its value."""
    data = yaml.safe_load(gazetteer.read_text(encoding="utf-8"))
    patterns: list[dict] = []
    current: dict[str, str] = {}
    for block in data.get("nlu", []):
        if "lookup" in block:
            entity = block["lookup"]
            for value in _examples(block):
                current[value] = entity
                patterns.append({"label": entity, "pattern": value, "id": value})
        elif "synonym" in block:
            value = block["synonym"]
            entity = current.get(value)
            if entity is None:
                raise ValueError(f"synonym {value!r} has no lookup naming it in {gazetteer}")
            for text in _examples(block):
                patterns.append({"label": entity, "pattern": text, "id": value})
    return patterns


def build(gazetteer: Path = DEFAULT_GAZETTEER, output: Path = DEFAULT_OUTPUT):
    import spacy
    from spacy.util import compile_infix_regex, compile_prefix_regex

    nlp = spacy.blank("en")
    # A CJK character is split off wherever it stands: as a prefix (spaCy never splits an infix at
    # the start of a token, so 喺IG would stay whole) and as an infix.
    nlp.tokenizer.prefix_search = compile_prefix_regex([CJK_CHAR, *nlp.Defaults.prefixes]).search
    nlp.tokenizer.infix_finditer = compile_infix_regex([CJK_CHAR, *nlp.Defaults.infixes]).finditer
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()
    ruler.add_patterns(load_patterns(gazetteer))
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return nlp


def fingerprint(gazetteer: Path = DEFAULT_GAZETTEER) -> str:
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(gazetteer.read_bytes())
    return digest.hexdigest()


def ensure_built(gazetteer: Path = DEFAULT_GAZETTEER, output: Path = DEFAULT_OUTPUT) -> bool:
    """Build only when the gazetteer or this builder changed; True if it built."""
    stamp = output / "safeshare_build.json"
    expected = fingerprint(gazetteer)
    if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == expected:
        return False
    build(gazetteer, output)
    stamp.write_text(json.dumps({"fingerprint": expected}))
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gazetteer", type=Path, default=DEFAULT_GAZETTEER)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if args.force:
        build(args.gazetteer, args.out)
        (args.out / "safeshare_build.json").write_text(
            json.dumps({"fingerprint": fingerprint(args.gazetteer)})
        )
        print(f"built {args.out}")
    else:
        built = ensure_built(args.gazetteer, args.out)
        print(f"{'built' if built else 'up to date'}: {args.out}")


if __name__ == "__main__":
    main()
