"""Renderings of a run for people and tools; each reads the Verdict, never another rendering."""
