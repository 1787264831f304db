"""AppRegistry: every live application of a process, by id."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from apiconform.errors import ApiconformError
from apiconform.reference.kernel.cache import MemoryBackend

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class DuplicateAppError(ApiconformError):
    """An application with the same id is already registered."""


@dataclass(frozen=True)
class AppInfo:
    """What ``get_all`` reports of an application."""

    id: str
    scope: str
    status: str
    address: str | None


class AppRegistry:
    """A thread-safe id -> application map. :meth:`default` is the process-wide one."""

    _default: ClassVar[AppRegistry | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._apps: dict[str, Application] = {}
        self._lock = threading.Lock()
        self._memory_cache: MemoryBackend | None = None

    @classmethod
    def default(cls) -> AppRegistry:
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    def shared_memory_cache(self) -> MemoryBackend:
        """The in-memory cache store that this registry's applications share; each app
        sees only its own namespace of it, bounded by its own ``cache.max_entries``."""
        with self._lock:
            if self._memory_cache is None:
                self._memory_cache = MemoryBackend()
            return self._memory_cache

    def register(self, app: Application) -> None:
        with self._lock:
            existing = self._apps.get(app.id)
            if existing is not None:
                raise DuplicateAppError(
                    f"an application with id {app.id!r} already exists "
                    f"(scope={existing.scope}, status={existing.status}"
                    f"{', serving ' + existing.address if existing.address else ''}); "
                    "choose a different id or dispose the existing application first"
                )
            self._apps[app.id] = app

    def unregister(self, app_id: str) -> None:
        with self._lock:
            self._apps.pop(app_id, None)

    def get(self, app_id: str) -> Application | None:
        with self._lock:
            return self._apps.get(app_id)

    def get_all(self, *, scope: str | None = None, status: str | None = None) -> list[AppInfo]:
        """Id, scope, status and address of every application, optionally filtered."""
        with self._lock:
            apps = list(self._apps.values())
        return [
            AppInfo(a.id, str(a.scope), str(a.status), a.address)
            for a in apps
            if (scope is None or a.scope == scope) and (status is None or a.status == status)
        ]

    def applications(self) -> list[Application]:
        with self._lock:
            return list(self._apps.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._apps)

    def __contains__(self, app_id: object) -> bool:
        with self._lock:
            return app_id in self._apps
