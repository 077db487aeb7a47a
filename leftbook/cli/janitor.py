"""`leftbook janitor grant|list|revoke`: the operator's side of capability links."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from leftbook.database import database
from leftbook.moderation import capabilities
from leftbook.refusal import Refusal
from leftbook.serving.address import site_url


def _site_url() -> str:
    url, certain = site_url(current_app.config["SETTINGS"])
    if not certain:
        click.echo(f"(the site is not serving now and has no onion name yet: {url} is a "
                   "guess; give the link with the site's own address)", err=True)
    return url


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


@click.group()
def janitor() -> None:
    """Janitor capability links."""


@janitor.command()
@click.option("--board", "boards", multiple=True, help="A board in scope (repeatable).")
@click.option("--all", "all_boards", is_flag=True, help="Every board.")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 365))
@click.option("--note", default=None, help="Who or what this link is for (shown in list).")
@click.option("--can", default=",".join(capabilities.POWERS), show_default=True,
              help="Comma-separated powers.")
@with_appcontext
def grant(boards: tuple[str, ...], all_boards: bool, days: int, note: str | None,
          can: str) -> None:
    """Grant a capability and print its link."""
    if bool(boards) == all_boards:
        raise click.UsageError("give --board SLUG (one or more) or --all")
    unknown = set(boards) - set(current_app.config["BOARDS"])
    if unknown:
        raise click.UsageError(f"no such board: {', '.join(sorted(unknown))}")
    powers = [p.strip() for p in can.split(",") if p.strip()]
    with database.connection_context():
        try:
            issued, token = capabilities.grant(
                None if all_boards else list(boards), powers, days, note,
                current_app.config["SECRETS"].capability_key,
            )
        except Refusal as exc:
            raise click.UsageError(str(exc)) from exc
    click.echo(f"{_site_url()}/janitor/{token}")
    click.echo(f"capability {issued.id}, valid until {_when(issued.expires)}", err=True)


@janitor.command("list")
@with_appcontext
def list_capabilities() -> None:
    """Show every capability: id, note, scope, powers, expiry, revoked."""
    with database.connection_context():
        rows = capabilities.listing()
    for row in rows:
        state = "revoked" if row.revoked else "active"
        click.echo(f"{row.id}\t{row.note or '-'}\t{row.boards}\t{row.powers}\t"
                   f"{_when(row.expires)}\t{state}")


@janitor.command()
@click.argument("cap_id", required=False, type=int)
@click.option("--all", "everything", is_flag=True, help="Revoke all and rotate the key.")
@with_appcontext
def revoke(cap_id: int | None, everything: bool) -> None:
    """Revoke one capability, or all of them (rotating the key)."""
    with database.connection_context():
        if everything:
            capabilities.rotate_key(current_app.config["SETTINGS"].data_dir)
            click.echo("every capability revoked and the key rotated; restart the site.")
        elif cap_id is None:
            raise click.UsageError("give a capability ID or --all")
        elif not capabilities.revoke(cap_id):
            raise click.ClickException(f"no capability {cap_id}")
        else:
            click.echo(f"capability {cap_id} revoked")
