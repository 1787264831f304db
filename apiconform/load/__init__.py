"""Load scenarios (locust) that check the proposals' performance promises on any target.

``apiconform load SCENARIO`` runs one scenario headless, locally or with locust's own
master/worker processes, against a target described by a conformance manifest, and judges
the figures against thresholds (the spec's by default). See ``docs/load.md``.
"""
