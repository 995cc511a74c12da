"""Tasks that run after other tasks: the rules the service keeps when one is made, changed
or cancelled. (The runs a follower gets are made where runs are recorded:
``engine.following``.)

A follower names the task it follows in its schedule ('after task 12 succeeded') and, for
the store's index, in ``follows_task_id``. Following makes a tree: a task follows at most
one, any number may follow one, and no task may follow itself through others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentcron.domain import ENDED_TASK_STATUSES, LIVE_TASK_STATUSES
from agentcron.errors import ConflictError, InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from agentcron.abc import Repositories
    from agentcron.views import TaskView

MAX_DEPTH = 100
"""Steps a chain may have: deeper than any chain a person means, shallow enough to walk."""


async def check_followed(
    store: Repositories, owner: str, followed_id: int, follower_id: int | None = None
) -> None:
    """Refuse following a task the owner does not have, or one that (through others)
    follows ``follower_id``: a cycle would never start, or never stop."""
    current: int | None = followed_id
    for depth in range(MAX_DEPTH + 1):
        if current is None:
            return
        if current == follower_id:
            raise InvalidInputError(
                f"Task {follower_id} cannot run after task {followed_id}: "
                + ("a task cannot follow itself." if depth == 0 else
                   f"task {followed_id} already runs after task {follower_id}, which would "
                   "make a cycle.")
            )  # fmt: skip
        task = await store.tasks.get(owner, current)
        if task is None:
            if depth == 0:
                raise NotFoundError(
                    f"There is no task {followed_id} to run after; 'agentcron ls' lists yours."
                )
            return  # the chain above was deleted: it ends there
        if depth == 0 and task.status in ENDED_TASK_STATUSES:
            raise ConflictError(
                f"Task {followed_id} was {task.status}: it will not run again, so nothing would "
                "start a task after it."
            )
        current = task.follows_task_id
    raise InvalidInputError(f"A chain may have at most {MAX_DEPTH} steps.")


async def followers_below(store: Repositories, task_ids: Sequence[int]) -> list[TaskView]:
    """Every task that follows these, directly or through others, nearest first."""
    found: list[TaskView] = []
    seen = set(task_ids)
    level = list(task_ids)
    for _ in range(MAX_DEPTH):
        if not level:
            break
        below = [task for task in await store.tasks.followers(level) if task.id not in seen]
        seen |= {task.id for task in below}
        found += below
        level = [task.id for task in below]
    return found


async def live_followers_below(store: Repositories, task_id: int) -> list[TaskView]:
    """What cancelling ``task_id`` cancels with it: the live tasks below it, which nothing
    would ever start again."""
    return [t for t in await followers_below(store, [task_id]) if t.status in LIVE_TASK_STATUSES]


async def chain_of(store: Repositories, owner: str, task: TaskView) -> list[tuple[int, TaskView]]:
    """The chain ``task`` is part of, from its head down, each task after the one it follows
    (depth first), with its depth (the head's is 0); ``[(0, task)]`` when it is in none."""
    head = task
    for _ in range(MAX_DEPTH):
        if head.follows_task_id is None:
            break
        above = await store.tasks.get(owner, head.follows_task_id)
        if above is None:
            break
        head = above
    below = await followers_below(store, [head.id])
    children: dict[int, list[TaskView]] = {}
    for follower in below:
        children.setdefault(follower.follows_task_id or 0, []).append(follower)
    ordered: list[tuple[int, TaskView]] = []

    def walk(at: TaskView, depth: int) -> None:
        ordered.append((depth, at))
        for child in children.get(at.id, []):
            walk(child, depth + 1)

    walk(head, 0)
    return ordered
