"""Concept features: different words for one idea share a feature for the intent classifier.

"nudes", "naked pics", 「裸照」 and 「咸相」 are unrelated strings to character n-grams; a message that
uses a word no training example used still lights the `sexual` concept. One binary feature per
concept, per token and for the whole message (Rasa's `RegexFeaturizer` does the matching and the
feature layout; this subclass only says where the patterns come from).

The six crisis categories are the crisis lexicon's own patterns (`safeshare.crisis.pattern`), so a
word added there is a feature here too. The other concepts are below: English as whole words (a
letter may not touch either end, so "ai" does not match inside "said", while 「喺IG」 still finds
"ig"), Chinese as substrings (Chinese has no spaces). Matching is case-insensitive.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safeshare import crisis

# concept: (English whole-word patterns, Chinese substrings)
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "deepfake": (
        (
            r"deep ?fakes?",
            r"face ?swap\w*",
            r"ai[- ]?(?:generated|made|edited|fake|photos?|videos?|apps?)",
            r"photoshop\w*",
            r"morph\w*",
            r"doctored",
            r"edited",
            r"fake (?:photo|video|pic|image|clip)s?",
        ),
        ("深偽", "換臉", "合成", "改圖", "p圖", "p咗", "改咗", "ai整", "假相", "假片", "偽造"),
    ),
    "photo": (
        (
            r"photos?",
            r"pics?",
            r"pictures?",
            r"images?",
            r"videos?",
            r"vids?",
            r"selfies?",
            r"clips?",
            r"footage",
        ),
        ("相片", "張相", "啲相", "嘅相", "影相", "相簿", "照片", "影片", "短片", "自拍", "圖片", "錄影"),
    ),
    "posting": (
        (
            r"post(?:ed|ing|s)?",
            r"upload\w*",
            r"shar(?:e|ed|es|ing)",
            r"forward\w*",
            r"spread\w*",
            r"circulat\w+",
            r"tag(?:ged|ging)?",
            r"send(?:ing)?",
            r"sent",
        ),
        ("上載", "放上", "分享", "轉發", "傳咗", "傳開", "傳緊", "傳俾", "傳送", "散播"),
    ),
    "school": (
        (
            r"schools?",
            r"teachers?",
            r"principals?",
            r"classroom",
            r"class",
            r"students?",
            r"pupils?",
            r"kindergarten",
            r"tutor\w*",
            r"campus",
        ),
        ("學校", "老師", "校長", "班主任", "學生", "幼稚園", "補習", "校方", "課室", "校園"),
    ),
    "camera": (
        (r"cctv", r"cameras?", r"cams?", r"surveillance", r"recording", r"filming", r"webcam"),
        ("閉路電視", "鏡頭", "攝錄", "監控", "偷拍", "影住"),
    ),
    "law": (
        (
            r"laws?",
            r"legal",
            r"illegal",
            r"ordinance",
            r"pdpo",
            r"cap\.? ?\d+",
            r"offen[cs]es?",
            r"crimes?",
            r"criminal",
            r"prosecut\w*",
            r"penalt\w*",
            r"jail",
            r"fines?",
            r"sue",
            r"legislation",
        ),
        ("法例", "條例", "犯法", "違法", "犯罪", "刑事", "檢控", "罰", "坐監", "法律", "合法"),
    ),
    "pcpd": (
        (r"pcpd", r"privacy commissioner\w*", r"commissioner", r"privacy office"),
        ("私隱專員", "公署", "私隱署"),
    ),
    "complaint": (
        (r"complain\w*", r"lodge", r"report(?:ed|ing|s)?"),
        ("投訴", "舉報", "檢舉", "報告"),
    ),
    "id_card": (
        (r"hkid", r"id cards?", r"identity cards?", r"id numbers?", r"id copy", r"copy of (?:my|our) id"),
        ("身份證", "身分證", "証件", "證件"),
    ),
    "marketing": (
        (
            r"marketing",
            r"promo\w*",
            r"spam\w*",
            r"sales? calls?",
            r"cold calls?",
            r"telemarket\w*",
            r"advert\w*",
            r"unsubscrib\w*",
            r"opt[- ]?out",
        ),
        ("推銷", "促銷", "廣告", "宣傳", "推廣", "拒收"),
    ),
    "leak": (
        (r"leak\w*", r"breach\w*", r"hack\w*", r"stolen", r"exposed", r"compromised", r"cyber ?attack\w*"),
        ("外洩", "洩漏", "洩露", "黑客", "入侵", "被盜", "泄露"),
    ),
    "settings": (
        (
            r"settings?",
            r"private account",
            r"set (?:it |my account |her account )?(?:to )?private",
            r"lock\w*",
            r"visibility",
            r"who can see",
        ),
        ("設定", "私人帳戶", "鎖", "隱藏", "公開"),
    ),
    "scam": (
        (r"scam\w*", r"fraud\w*", r"swindl\w*", r"con(?:ned)?", r"cheat\w*", r"impersonat\w*"),
        ("騙", "詐騙", "呃", "冒充"),
    ),
    "platform": (
        (
            r"facebook",
            r"fb",
            r"instagram",
            r"insta",
            r"ig",
            r"whatsapp",
            r"tiktok",
            r"tik tok",
            r"youtube",
            r"threads",
            r"snapchat",
            r"snap",
            r"telegram",
            r"discord",
            r"twitter",
            r"x\.com",
            r"wechat",
        ),
        ("臉書", "面書", "抖音", "油管", "小紅書", "微信", "群組"),
    ),
}
CRISIS_CONCEPTS = crisis.CATEGORIES


def concept_pattern(name: str) -> str:
    if name in CRISIS_CONCEPTS:
        return crisis.pattern(name)
    english, chinese = CONCEPTS[name]
    whole_words = r"(?<![a-z])(?:" + "|".join(english) + r")(?![a-z])"
    return "|".join([whole_words, *(re.escape(word.lower()) for word in chinese)])


def patterns() -> list[dict[str, str]]:
    """RegexFeaturizer's pattern list: one named pattern per concept."""
    names = [*CRISIS_CONCEPTS, *CONCEPTS]
    return [{"name": f"concept_{name}", "pattern": concept_pattern(name)} for name in names]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ConceptFeaturizer(RegexFeaturizer):
    """`RegexFeaturizer` whose patterns are the concepts above, not regexes from the training data."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**RegexFeaturizer.get_default_config(), "case_sensitive": False}

    def train(self, training_data: TrainingData) -> Resource:
        self.known_patterns = patterns()
        self._persist()
        return self._resource

    def _compiled(self) -> list[tuple[str, re.Pattern[str]]]:
        known = self.known_patterns
        cached = getattr(self, "_compiled_for", None)
        if cached is None or cached[0] is not known:
            flags = 0 if self.case_sensitive else re.IGNORECASE
            cached = (known, [(p["name"], re.compile(p["pattern"], flags)) for p in known])
            self._compiled_for = cached
        return cached[1]

    def _features_for_patterns(
        self, message: Message, attribute: str
    ) -> tuple[scipy.sparse.coo_matrix | None, scipy.sparse.coo_matrix | None]:
        """What `RegexFeaturizer._features_for_patterns` returns, and the same `pattern` marks on
        the tokens, with far less work per message: the patterns are compiled once, and only a
        pattern that matched somewhere is compared with each token (Rasa's compares every pattern
        with every token). tests/nlu/test_concepts.py checks the two agree."""
        text = message.get(attribute)
        if not text:
            return None, None
        tokens = message.get(TOKENS_NAMES[attribute], [])
        if not tokens:
            return None, None
        compiled = self._compiled()
        sequence_features = np.zeros([len(tokens), len(compiled)])
        sentence_features = np.zeros([1, len(compiled)])
        marks = [{name: False for name, _ in compiled} for _ in tokens]
        whole = attribute in (RESPONSE, TEXT, ACTION_TEXT)
        for index, (name, regex) in enumerate(compiled):
            spans = [(m.start(), m.end()) for m in regex.finditer(text)]
            if not spans:
                continue
            for token_index, token in enumerate(tokens):
                if any(token.start < end and token.end > start for start, end in spans):
                    marks[token_index][name] = True
                    sequence_features[token_index][index] = 1.0
                    if whole:
                        sentence_features[0][index] = 1.0
        for token, mark in zip(tokens, marks, strict=True):
            known = token.get("pattern", default={})
            known.update(mark)
            token.set("pattern", known)
        return scipy.sparse.coo_matrix(sequence_features), scipy.sparse.coo_matrix(sentence_features)
