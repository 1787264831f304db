"""Checks of add-application-scopes (``SCOPE-*``), one module per concept; importing the
package registers them.

The target exposes the probe API the manifest's ``[scopes]`` section names (the reference
demo's routes by default), lists under ``[[scopes.apps]]`` two or more applications of one
process with what only each has, and names under ``[scopes.startup]`` the commands that
must fail to start.
"""

from apiconform.conformance.checks.scopes import apps, injection, startup, telemetry

__all__ = ["apps", "injection", "startup", "telemetry"]
