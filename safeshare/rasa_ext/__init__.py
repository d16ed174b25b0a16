"""Rasa extensions: the bilingual response generator, the redacting tracker store, the lock store."""
