"""What ``apiconform check`` shows while it runs, on stderr: a live display (rich) on a
terminal, one line per step otherwise (CI logs)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from apiconform.conformance.registry import Check
from apiconform.conformance.report.model import CheckOutcome, Verdict

# seconds between "still waiting" lines without a terminal
WAIT_NOTE_EVERY = 10.0
STYLES = {
    Verdict.PASS: "green",
    Verdict.FAIL: "red",
    Verdict.ERROR: "magenta",
    Verdict.SKIP: "dim",
    Verdict.NOT_CLAIMED: "dim",
}


class ConsoleProgress:
    """A :class:`~apiconform.conformance.runner.RunObserver` for the command line."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.live = self.console.is_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._position = (0, 0)
        self._next_note = WAIT_NOTE_EVERY

    def __enter__(self) -> ConsoleProgress:
        if self.live:
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live:
            self._progress.stop()

    def _show(self, description: str, total: float | None = None) -> None:
        if self._task is None:
            self._task = self._progress.add_task(description, total=total)
        else:
            self._progress.update(self._task, description=description, total=total)

    def starting(self, what: str) -> None:
        self._next_note = WAIT_NOTE_EVERY
        if self.live:
            self._show(escape(what))
        else:
            self.console.print(f"{escape(what)} ...")

    def waiting(self, elapsed: float, last_line: str) -> None:
        note = f" - {escape(last_line[:70])}" if last_line else ""
        if self.live:
            self._show(f"waiting for the target ({elapsed:.0f} s){note}")
        elif elapsed >= self._next_note:
            self._next_note += WAIT_NOTE_EVERY
            self.console.print(f"still waiting for the target ({elapsed:.0f} s){note}")

    def check_started(self, check: Check, index: int, total: int) -> None:
        self._position = (index, total)
        if self.live:
            self._show(f"{check.test_id.split(':', 1)[0]}", total=total)
            assert self._task is not None
            self._progress.update(self._task, completed=index - 1)

    def check_finished(self, outcome: CheckOutcome) -> None:
        index, total = self._position
        ids = "+".join(outcome.requirement_ids)
        style = STYLES[outcome.verdict]
        line = f"[{index:>{len(str(total))}}/{total}] [{style}]{outcome.verdict.value:<5}[/] {ids}"
        if outcome.verdict in (Verdict.FAIL, Verdict.ERROR):
            line += f"  {escape(outcome.message[:160])}"
        if self.live:
            assert self._task is not None
            self._progress.update(self._task, completed=index)
            if outcome.verdict in (Verdict.FAIL, Verdict.ERROR):
                self._progress.console.print(line)
        else:
            self.console.print(line)
