"""metastudio-conformance: a conformance suite for the MetaStudio training-job API."""

__version__ = "0.1.0"
