"""The reference integration: a correct implementation of the workflows, and rehearse's default SUT.

It is what a careful team would ship: webhooks are accepted into a durable inbox and answered fast,
a worker applies them with retries that survive restarts, and every effect on another system is
idempotent, so at-least-once delivery and lost responses never produce a second ERP order. Run it
with ``python -m integrations.reference``; it reads its configuration from the environment that
``contracts/sut-environment.md`` describes. The flawed integrations are this one with one bug each.
"""
