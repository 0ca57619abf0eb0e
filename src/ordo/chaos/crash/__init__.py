"""Crash consistency: a node SIGKILLed again and again while it commits blocks under load."""
