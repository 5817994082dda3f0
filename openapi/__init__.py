"""The contract as package data: `training-jobs.yaml` (the API) and `control.yaml` (the
test-control interface), read with `importlib.resources` by the suite and the reference
server alike."""
