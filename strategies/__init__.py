"""Hypothesis strategies for the suite: identifiers, bodies, headers and hostile values.

They read the contract through `conformance.contract`, so the values follow the spec.
"""
