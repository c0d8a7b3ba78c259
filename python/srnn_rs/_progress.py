"""Progress reporting for long native calls: tqdm when installed, a plain stderr line otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional, Union

ProgressArg = Union[bool, Callable[[int, int], Any], None]


class _Plain:
    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= 0.5 or (total and done >= total):
            self.last = now
            pct = 100.0 * done / total if total else 100.0
            sys.stderr.write(f"\r{self.desc}: {pct:5.1f}%")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


class _Tqdm:
    def __init__(self, desc: str) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(desc=desc, total=1, unit="path-step", unit_scale=True, leave=False)

    def __call__(self, done: int, total: int) -> None:
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


class progress_callback:
    """Context manager giving the ``(done, total)`` callback the native runner calls."""

    def __init__(self, progress: ProgressArg, desc: str) -> None:
        self._user: Optional[Callable[[int, int], Any]] = None
        self._bar: Optional[Any] = None
        if callable(progress):
            self._user = progress
        elif progress:
            try:
                self._bar = _Tqdm(desc)
            except ImportError:
                self._bar = _Plain(desc)

    def __enter__(self) -> Optional[Callable[[int, int], Any]]:
        return self._user or self._bar

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()
