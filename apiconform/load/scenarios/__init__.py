"""The locustfiles, one per scenario. Each reads its plan from ``APICONFORM_LOAD_PLAN``
(JSON written by the runner), so a worker on another machine runs with the same plan."""
