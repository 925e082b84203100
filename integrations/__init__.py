"""Integrations that rehearse runs as the system under test: the reference and the flawed corpus."""
