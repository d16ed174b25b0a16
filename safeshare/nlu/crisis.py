"""Never turn a crisis away: a message that shows sexual images, threats, money demands, self-harm or
danger gets the report flow or the safety answer, whatever the classifier thought of it.

Runs after the intent classifier and before the fallback classifier. It adds one `crisis` entity
per signal (`safeshare.crisis`), which actions and staff triage read, and it changes the intent
only where the classifier's choice would answer a person in crisis with something else:

- the classifier's own `crisis_safety` (it learns self-harm and danger too): kept, and an unsure
  one is lifted above the fallback when the lexicon sees any sign of a crisis;
- self-harm: `crisis_safety` (999 first, then the report steps or staff); immediate danger too,
  unless the classifier chose the doxxing answer (a doxxing victim whose address was posted: that
  answer starts with 999 and says how to get the post removed);
- a money demand by someone who looks or sounds like a relative, or money already sent, with no
  other crisis sign: `deepfake_scam` (999 and the anti-scam line first);
- images, threats or money demands: `report_deepfake`, unless the classifier already chose an
  answer that fits a crisis, one that starts with 999 (the law on intimate images, a school's
  response plan, doxxing, scams). Sexual words alone do not change an abstract question ("is
  making a fake nude illegal?") unless the classifier was unsure or turned the message away, or
  the message tells of something that happened.

Dialogue plumbing (yes/no, "stop", "more", language, status, asking for staff) is left alone,
except for self-harm or danger, which come first whatever the message looked like; a request to
erase one's data is not plumbing here ("pay him to delete pics?" is a threat). A bare answer
(`inform`) is not: a crisis told in a few words ("ex threatening to post pics") often looks like
one, and inside the report flow a report is read as the answer to its question anyway. A fitting
answer that the classifier was unsure of keeps its intent, with the confidence that keeps it
above the fallback.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safeshare import crisis

SAFETY_INTENT = "crisis_safety"
DOXXING_INTENT = "doxxing_law"
REPORT_INTENT = "report_deepfake"
SCAM_INTENT = "deepfake_scam"
PLUMBING = frozenset(
    {
        "affirm",
        "deny",
        "stop",
        "more",
        "set_language",
        "check_status",
        "feedback_helpful",
        "feedback_not_helpful",
        "staff_answer_ready",
        "human_handoff",
        SAFETY_INTENT,
    }
)
# Answers that already suit someone in crisis (each starts with what to do now).
FITS_A_CRISIS = frozenset(
    {
        REPORT_INTENT,
        "deepfake_intimate_images_law",
        "school_response_plan",
        "doxxing_law",
        SCAM_INTENT,
    }
)
MISSES = frozenset({"out_of_scope", "nlu_fallback"})


def decide(
    text: str, intent: str | None, confidence: float, unsure_below: float, found: frozenset[str] | None = None
) -> str | None:
    """The intent a crisis message should get instead of `intent`, or None to keep it.

    `found` is `crisis.signals(text)` when the caller has it already."""
    if (text or "").startswith("/"):
        return None
    if found is None:
        found = crisis.signals(text)
    if intent == SAFETY_INTENT:
        # the classifier heard self-harm or danger and the lexicon sees a sign of a crisis too: an
        # unsure guess is kept above the fallback (with no sign, the fallback's reply, 999 first, stays)
        return intent if found and confidence < unsure_below else None
    if not crisis.is_crisis(found):
        # a scam under way (money asked for by a face or voice one knows, or already sent) gets
        # the scam answer, which starts with 999 and the anti-scam line
        if intent in PLUMBING or not crisis.scam_under_way(text, found):
            return None
        if intent in FITS_A_CRISIS:
            # already an answer that starts with 999: an unsure one is kept above the fallback
            return intent if confidence < unsure_below else None
        return SCAM_INTENT
    # self-harm or danger comes first, whatever else the message looked like
    if crisis.SELF_HARM in found:
        return SAFETY_INTENT
    if crisis.DANGER in found and intent != DOXXING_INTENT:
        return SAFETY_INTENT
    if intent in PLUMBING:
        return None
    if intent in FITS_A_CRISIS:
        # the answer fits; only make sure an unsure one is not turned into "I didn't understand"
        return intent if confidence < unsure_below else None
    strong = bool(found & {crisis.THREAT, crisis.MONEY, crisis.BULLYING})
    unsure = intent in MISSES or confidence < unsure_below
    if strong or unsure or crisis.happened(text):
        return REPORT_INTENT
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CrisisGuard(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Below this the classifier's choice counts as unsure (the fallback threshold is lower).
        return {"unsure_below": 0.6, "confidence": 0.95}

    def __init__(self, config: dict[str, Any]) -> None:
        self._unsure_below = float(config["unsure_below"])
        self._confidence = float(config["confidence"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = crisis.signals(text) if not text.startswith("/") else frozenset()
            if not found:
                continue
            entities = [
                {
                    "entity": "crisis",
                    "value": category,
                    "start": 0,
                    "end": len(text),
                    "confidence": 1.0,
                    "extractor": self.__class__.__name__,
                }
                for category in sorted(found)
            ]
            message.set(ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True)
            intent = message.get(INTENT) or {}
            confidence = float(intent.get("confidence") or 0.0)
            target = decide(text, intent.get("name"), confidence, self._unsure_below, found)
            if target is None:
                continue
            confidence = max(confidence, self._confidence)
            ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != target]
            message.set(INTENT, {"name": target, "confidence": confidence}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [{"name": target, "confidence": confidence}, *ranking],
                add_to_output=True,
            )
        return messages
