"""The flawed corpus: each package here is the reference integration with exactly one realistic bug.

They exist to prove the checkers: every variant's README names the bug and the checker and scenario
that must catch it. A variant should stay small, replacing one piece through ``build_app``, so that
the bug is the whole difference.
"""
