"""The merge tree of the core's reductions, for partials computed in Python (least-squares
factors of the kernel machines): the node covering the aligned block range
``[k·2ˡ, (k+1)·2ˡ)`` is the merge of its two children, the root the left-to-right merge of
the maximal nodes of ``[0, n_blocks)``. A node depends only on the blocks it covers, so any
split into contiguous ranges, appended in any grouping, gives the same bits."""

from __future__ import annotations

from typing import Any, Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class BlockTree(Generic[T]):
    def __init__(self, merge: Callable[[T, T], T], first_block: int = 0) -> None:
        self.merge = merge
        self.start = self.end = first_block
        self.nodes: list[tuple[int, int, T]] = []  # (start, level, value)

    def push(self, value: T) -> None:
        """Adds the partial of the next block."""
        self._push_node(self.end, 0, value)

    def _push_node(self, start: int, level: int, value: T) -> None:
        self.nodes.append((start, level, value))
        self.end = start + (1 << level)
        while len(self.nodes) >= 2:
            (s0, l0, v0), (s1, l1, v1) = self.nodes[-2:]
            if not (l0 == l1 and s0 + (1 << l0) == s1 and s0 % (1 << (l0 + 1)) == 0):
                break
            self.nodes[-2:] = [(s0, l0 + 1, self.merge(v0, v1))]

    def append(self, right: "BlockTree[T]") -> "BlockTree[T]":
        """This range followed by ``right``'s, which must start where this one ends."""
        if right.start != self.end:
            raise ValueError(f"partial: blocks {right.start}..{right.end} cannot follow blocks {self.start}..{self.end}")
        for node in right.nodes:
            self._push_node(*node)
        self.end = right.end
        return self

    def root(self) -> Optional[Any]:
        if not self.nodes:
            return None
        acc = self.nodes[0][2]
        for _, _, value in self.nodes[1:]:
            acc = self.merge(acc, value)
        return acc
