"""Who is who, without the database: inquiry references and pseudonymous sender keys.

A reference is `SS-` and five characters from an alphabet without look-alikes (no 0/O, no 1/I),
easy to read out on the phone: `SS-7K3Q9`. Inquiries are stored under it, users type it after
"status" (in any case), and the widget confirms it showed a staff answer by it. The widget keeps
the same pattern in JavaScript (widget/src/widget.js, `REFERENCE`); a test compares the two.

A sender key is the stable pseudonym of a conversation's sender: an HMAC of the sender id with
the project secret (SAFESHARE_SECRET_KEY). Inquiries and feedback are stored under it, the widget's
confirmation is checked against it, and the Telegram relay names chats by it (in Rasa and in its
logs); without the secret the key says nothing about who it is.

Only the standard library and the settings object: the relay, the Rasa server's channels and the
actions use this without loading the ORM.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from safeshare.settings import get_settings

REFERENCE_PREFIX = "SS-"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 5
SENDER_KEY_LENGTH = 32  # hex characters


def _character_class(alphabet: str) -> str:
    """`23456789ABCDEFGHJKLMNPQRSTUVWXYZ` → `2-9A-HJ-NP-Z`: runs of consecutive characters as ranges."""
    runs: list[list[str]] = []
    for char in alphabet:
        if runs and ord(char) == ord(runs[-1][-1]) + 1:
            runs[-1].append(char)
        else:
            runs.append([char])
    return "".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else "".join(run) for run in runs)


# The exact, upper-case form: what is stored and what the widget sends back.
REFERENCE_PATTERN = f"{REFERENCE_PREFIX}[{_character_class(REFERENCE_ALPHABET)}]{{{REFERENCE_LENGTH}}}"
# A reference in what someone typed ("status ss-7k3q9"): a whole word, any case; group 1.
REFERENCE_IN_TEXT = re.compile(rf"\b({REFERENCE_PATTERN})\b", re.IGNORECASE)
_REFERENCE = re.compile(REFERENCE_PATTERN)


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def is_reference(value: str) -> bool:
    """Exactly one reference, upper case, nothing around it."""
    return _REFERENCE.fullmatch(value) is not None


def find_reference(text: str) -> str | None:
    """The first reference in `text`, upper-cased; None if there is none."""
    match = REFERENCE_IN_TEXT.search(text)
    return match.group(1).upper() if match else None


def sender_key(sender_id: str, secret: str | None = None) -> str:
    """The pseudonymous, stable key of a conversation's sender (HMAC-SHA256 with the project
    secret, or `secret` when given)."""
    key = (secret if secret is not None else get_settings().secret_key).encode()
    return hmac.new(key, sender_id.encode(), hashlib.sha256).hexdigest()[:SENDER_KEY_LENGTH]
