"""Fakes that speak the real protocols on loopback (no mocks of our own code)."""
