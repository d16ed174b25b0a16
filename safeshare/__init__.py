"""SafeShare HK: a bilingual privacy-advice assistant for parents, schools and the public."""

__version__ = "0.1.0"
