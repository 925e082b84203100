"""``rehearse contracts ...``: the contracts in ``contracts/`` as tools, for us and against other people's code.

The mocks' OpenAPI documents are exported from their apps (``export``) and held to by the mocks
themselves (``conformance``) and by every run (``traffic``, the contract checker); a consumer's pact
is verified against the mocks (``pact_verification``), a SUT's webhook receivers are fuzzed with bad
input (``sut_fuzzing``), and a vendor's own API is checked against our contract of it
(``provider_check``).
"""
