"""Reference implementation of the MetaStudio training-job API, checked by the suite.

Independent of `conformance/` and `strategies/` by design: it reads only openapi/*.yaml.
"""

from .server import start_server, stop_server

__all__ = ["start_server", "stop_server"]
