"""`Domain.is_empty`, answered once per domain by the server's extensions
(safeshare/rasa_ext/server.py), gives Rasa's answer."""

from unittest import mock

from rasa.shared.core.domain import Domain

from safeshare.rasa_ext import server
from safeshare.settings import PROJECT_ROOT


def test_the_same_answer_as_rasa_asked_once_per_domain():
    server.install()
    original = Domain.is_empty.original
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    empty = Domain.empty()
    assert original(domain) is False and original(empty) is True
    with mock.patch.object(Domain, "as_dict", autospec=True, side_effect=Domain.as_dict) as as_dict:
        assert domain.is_empty() is False
        assert empty.is_empty() is True
        asked = as_dict.call_count
        for _ in range(5):
            assert domain.is_empty() is False
            assert empty.is_empty() is True
        assert as_dict.call_count == asked  # answered from what was found the first time
