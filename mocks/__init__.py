"""Vendor-faithful mock systems: one package per system, each with the same rooms.

``state.py`` the domain model (plain Python), ``api.py`` the vendor's HTTP surface (FastAPI),
``behaviour.py`` what the system does by itself over simulated time (SimPy), ``events.py`` what it
sends to the SUT. A fifth system copies that shape and subclasses :class:`mocks.base.Mock`.
"""
