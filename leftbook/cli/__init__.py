"""The `leftbook` command: a Flask CLI group around the app factory."""

import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from leftbook import create_app
from leftbook.abuse import lockdown as switches
from leftbook.cli.janitor import janitor
from leftbook.cli.status import status
from leftbook.database import database, transfer
from leftbook.refusal import Refusal
from leftbook.retention import prune as retention
from leftbook.serving.publishing import onion_address
from leftbook.serving.records import serving_noted
from leftbook.serving.server import serve as run_server
from leftbook.settings import ConfigError
from leftbook.web.security import LOOPBACK_HOSTS
from onion import OnionError

AS_ROOT_WARNING = """\
WARNING: leftbook serve is running as root. A flaw in Leftbook or in a library it uses (image
decoding, for one) would then hand the whole machine over, and every file it makes belongs to
root. It runs anyway. Run it as a user of its own instead:
  sudo adduser --system --group --home /var/lib/leftbook leftbook
  sudo chown -R leftbook: {data_dir}
  sudo -u leftbook env LEFTBOOK_DATA_DIR={data_dir} leftbook serve
or install the hardened systemd unit, which does this (docs/operations.md)."""


def _create_app() -> Flask:
    """The app, or one line saying what to fix (no traceback for a bad setting)."""
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # e.g. a data dir that cannot be made
        raise click.ClickException(f"{exc.filename or 'the data dir'}: {exc.strerror}") from exc


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Leftbook, an anonymous imageboard published as a Tor v3 onion service."""


# Flask's --app, --env-file and --debug make no sense here, and debug mode must never be on.
main.params = [p for p in main.params if p.name not in ("app", "env_file", "debug")]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--onion/--no-onion", default=True, show_default=True,
              help="Publish as an onion service (LEFTBOOK_TOR says how).")
@click.option("--client-auth", is_flag=True,
              help="A private site: only Tor Browsers holding the printed key can reach it.")
@click.option("--i-know-this-bypasses-tor", "force_public", is_flag=True,
              help="Allow listening on a non-loopback address.")
@with_appcontext
def serve(host: str, port: int, threads: int, onion: bool, client_auth: bool,
          force_public: bool) -> None:
    """Serve the site on loopback with waitress."""
    if host not in LOOPBACK_HOSTS and not force_public:
        raise click.UsageError(
            f"refusing to listen on {host}: the site must only be reached through Tor. "
            "Pass --i-know-this-bypasses-tor to force it."
        )
    settings = current_app.config["SETTINGS"]
    if os.geteuid() == 0:
        click.echo(AS_ROOT_WARNING.format(data_dir=settings.data_dir), err=True)
    onion = onion and settings.tor != "off"
    with serving_noted(settings.data_dir, port=port, onion=onion, client_auth=client_auth,
                       onionbalance=bool(settings.onionbalance_master)):
        run_server(current_app._get_current_object(), host=host, port=port, threads=threads,
                   onion=onion, client_auth=client_auth)


@main.command()
@click.option("--dry-run", is_flag=True, help="Print what would be pruned; change nothing.")
@with_appcontext
def prune(dry_run: bool) -> None:
    """Run one prune pass now (as the schedule does) and print how many of what went."""
    with database.connection_context():
        counts = retention.prune(current_app.config["BOARDS"], current_app.config["STORE"],
                                 dry_run=dry_run)
    click.echo(("would prune: " if dry_run else "pruned: ") + retention.describe(counts))


@main.command()
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--board", "slug", default=None, help="Lock one board (default: the whole site).")
@click.option("--mode", type=click.Choice(["readonly", "captcha"]), default="readonly",
              show_default=True, help="readonly refuses every post; captcha asks everyone.")
@with_appcontext
def lockdown(state: str, slug: str | None, mode: str) -> None:
    """Make the site or a board read-only or captcha-only during a spam wave, or lift it."""
    if slug is not None and slug not in current_app.config["BOARDS"]:
        raise click.BadParameter(f"there is no board '{slug}'", param_hint="--board")
    with database.connection_context():
        switches.set_lockdown(slug, mode if state == "on" else None)
    where = f"/{slug}/" if slug else "the site"
    click.echo(f"{where} is now {mode}." if state == "on" else f"lockdown lifted on {where}.")


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_site(path: Path) -> None:
    """Write every row of the database to PATH (JSON lines; a .gz name compresses it)."""
    with database.connection_context():
        try:
            counts = transfer.export_site(path)
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
    click.echo(f"exported {transfer.describe(counts)} to {path} (mode 0600: it holds posts and "
               "password hashes; delete it once imported). Copy the files/ directory too.")


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False,
                                        path_type=Path))
@with_appcontext
def import_site(path: Path) -> None:
    """Load a dump made by `leftbook export` into this site's database, which must be empty."""
    with database.connection_context():
        try:
            counts = transfer.import_site(path)
        except Refusal as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"imported {transfer.describe(counts)}")


@main.group()
def onion() -> None:
    """The onion service."""


@onion.command("address")
@with_appcontext
def onion_address_command() -> None:
    """Print the onion address (from the stored key) without starting anything."""
    try:
        address = onion_address(current_app.config["SETTINGS"].data_dir)
    except OnionError as exc:
        raise click.ClickException(str(exc)) from exc
    if address is None:
        raise click.ClickException("no onion key yet: `leftbook serve` makes one on first start.")
    click.echo(address)


main.add_command(janitor)
main.add_command(status)
