"""Generators of business activity, each a SimPy process drawing from its own random stream."""
