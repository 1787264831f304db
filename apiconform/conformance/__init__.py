"""The conformance suite: checks any HTTP implementation of the proposals, by requirement ID.

It never imports :mod:`apiconform.reference`; it reaches a target over HTTP and, in managed
mode, starts it as a process from its manifest.
"""
