"""``rehearse contracts ...``: the contracts in ``contracts/`` put to work against other people's code.

A consumer's pact is verified against the mocks (``pact_verification``), a SUT's webhook receivers
are fuzzed with bad input (``sut_fuzzing``), and a vendor's own API is checked against our contract
of it (``provider_check``).
"""
