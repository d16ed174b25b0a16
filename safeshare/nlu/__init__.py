"""Custom Rasa NLU components and the spaCy pipeline builder."""
