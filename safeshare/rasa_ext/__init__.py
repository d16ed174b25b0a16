"""Rasa extensions: the bilingual response generator, the redacting tracker store, the lock store,
the REST channel and what happens when the action server is down."""
