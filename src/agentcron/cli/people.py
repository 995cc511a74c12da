"""``agentcron users`` and ``agentcron keys``: who may use agentcron over its API, and with
which key. The operator's commands: they act on the store directly, for anyone."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.cli.tasks import JsonFlag

if TYPE_CHECKING:
    from agentcron.service import TaskService
    from agentcron.views import UserView

users = typer.Typer(
    help="People: who may use agentcron (each with tasks of their own).", no_args_is_help=True
)
keys = typer.Typer(
    help="API keys: how people (and admins) reach the HTTP API.", no_args_is_help=True
)
UserId = Annotated[
    str, typer.Argument(help="The person's id: 'ann', 'ann@example.com'.", show_default=False)
]


def _user_dict(user: UserView) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "timezone": user.timezone,
        "created_at": user.created_at.isoformat(),
        "monthly_cost_budget": user.monthly_cost_budget,
        "monthly_token_budget": user.monthly_token_budget,
    }


@users.command("add")
def add_user(
    user_id: UserId,
    name: Annotated[str, typer.Option("--name", help="How the person is called.")] = "",
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="Their IANA zone (default: AGENTCRON_TIMEZONE, else this machine's).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a person (one removed comes back)."""

    async def work(service: TaskService, _owner: str) -> UserView:
        from agentcron.config import default_timezone  # noqa: PLC0415

        zone = tz or default_timezone(service.settings)
        return await service.people.add_user(user_id, name=name, timezone=zone)

    user = run_with_service(work)
    if as_json:
        print_json(_user_dict(user))
        return
    console().print(
        f"Added {user.id} ({user.timezone}). "
        f"'agentcron keys create --user {user.id}' makes their API key.",
        soft_wrap=True,
    )


@users.command("ls")
def list_users(as_json: JsonFlag = False) -> None:
    """List the people (not those removed)."""
    found = run_with_service(lambda s, _o: s.people.users())
    if as_json:
        print_json([_user_dict(user) for user in found])
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print
    from rich.table import Table  # noqa: PLC0415

    table = Table(show_edge=False, header_style="bold")
    for column in ("id", "name", "zone", "since"):
        table.add_column(column, overflow="fold")
    for user in found:
        since = user.created_at.strftime("%Y-%m-%d")
        table.add_row(escape(user.id), escape(user.name or "-"), user.timezone, since)
    console().print(table)


@users.command("set")
def set_user(
    user_id: UserId,
    monthly_budget: Annotated[
        str | None,
        typer.Option(
            "--monthly-budget",
            help="The most their agent runs may cost a calendar month (the prices' currency, "
            "e.g. 5.00); 'none' lifts it.",
            show_default=False,
        ),
    ] = None,
    monthly_tokens: Annotated[
        str | None,
        typer.Option(
            "--monthly-tokens",
            help="The most model tokens their agent runs may use a month; 'none' lifts it.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a person's monthly budget: past it, their agent runs fail fast (told once)."""
    user = run_with_service(
        lambda s, _o: s.people.set_budget(user_id, tokens=monthly_tokens, cost=monthly_budget)
    )
    if as_json:
        print_json(_user_dict(user))
        return
    cost = "none" if user.monthly_cost_budget is None else f"{user.monthly_cost_budget:.2f}"
    tokens = "none" if user.monthly_token_budget is None else f"{user.monthly_token_budget:,}"
    console().print(f"{user.id}: monthly budget {cost}, monthly tokens {tokens}.", soft_wrap=True)


@users.command("rm")
def remove_user(user_id: UserId, as_json: JsonFlag = False) -> None:
    """Remove a person: their tasks are cancelled, their keys revoked; their history stays."""
    cancelled, revoked = run_with_service(lambda s, _o: s.remove_user(user_id))
    if as_json:
        print_json({"id": user_id, "cancelled_tasks": cancelled, "revoked_keys": revoked})
        return
    from agentcron.plurals import plural  # noqa: PLC0415

    console().print(
        f"Removed {user_id}: {plural(cancelled, 'task')} cancelled, "
        f"{plural(revoked, 'key')} revoked.",
        soft_wrap=True,
    )


@keys.command("create")
def create_key(
    user: Annotated[str, typer.Option("--user", help="Whose key it is.", show_default=False)],
    admin: Annotated[
        bool,
        typer.Option(
            "--admin", help="It may also act for anyone (X-Agentcron-User) and see operator views."
        ),
    ] = False,
    name: Annotated[str, typer.Option("--name", help="A label: where the key is used.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Make an API key. It is printed once, now: only its hash is kept."""
    key, secret = run_with_service(lambda s, _o: s.people.create_key(user, admin=admin, name=name))
    if as_json:
        print_json({"id": key.id, "key": secret, "user": key.user_id, "admin": key.admin})
        return
    role = "an admin key" if key.admin else "a key"
    print(secret)  # alone on stdout: KEY=$(agentcron keys create --user ann)
    sys.stderr.write(
        f"note: that is {role} for {key.user_id} (id {key.id}), shown only this once; "
        f"'agentcron keys revoke {key.id}' ends it.\n"
    )


@keys.command("ls")
def list_keys(
    user: Annotated[
        str | None, typer.Option("--user", help="Only this person's keys.", show_default=False)
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List API keys (never the keys themselves: their ids)."""
    found = run_with_service(lambda s, _o: s.people.keys(user))
    if as_json:
        print_json([key.to_dict() for key in found])
        return
    from rich.markup import escape  # noqa: PLC0415 - Rich, only to print
    from rich.table import Table  # noqa: PLC0415

    table = Table(show_edge=False, header_style="bold")
    for column in ("id", "user", "name", "admin", "made (UTC)", "revoked (UTC)"):
        table.add_column(column, overflow="fold")
    for key in found:
        revoked = key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else ""
        table.add_row(
            key.id, escape(key.user_id), escape(key.name or "-"), "yes" if key.admin else "",
            key.created_at.strftime("%Y-%m-%d %H:%M"), revoked,
        )  # fmt: skip
    console().print(table)


@keys.command("revoke")
def revoke_key(
    key_id: Annotated[
        str, typer.Argument(help="The key's id ('agentcron keys ls').", show_default=False)
    ],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    key = run_with_service(lambda s, _o: s.people.revoke_key(key_id))
    if as_json:
        print_json(key.to_dict())
        return
    console().print(f"Revoked key {key.id} of {key.user_id}.")
