"""`leftbook serve`: waitress on loopback (guarded against slow and idle connection floods,
see guard.py), optionally published as an onion service."""

import logging
import signal
import sys
import threading

from flask import Flask

from leftbook.retention.scheduler import prune_schedule
from leftbook.serving.address import forget_serving, record_serving
from leftbook.serving.channels import Limits
from leftbook.serving.guard import GuardedServer, fit_budget
from leftbook.serving.publishing import publish_site
from leftbook.web.security import LOOPBACK_HOSTS

log = logging.getLogger("leftbook")


def _stop_on_signals(server) -> None:
    def stop(signum, _frame):
        log.info("stopping (signal %s)", signum)
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _publish(app: Flask, port: int, published: list, client_auth: bool) -> None:
    """Publish the onion service while the site already serves on loopback (this can take
    minutes while a launched tor bootstraps); keep the handle for shutdown."""
    def learned(address: str) -> None:
        app.config["ONION_HOST"] = address
        print(f"Onion service: http://{address}/", flush=True)

    try:
        settings = app.config["SETTINGS"]
        site = publish_site(
            settings.data_dir, settings.tor, port,
            password=settings.tor_password, client_auth=client_auth,
            onionbalance_master=settings.onionbalance_master,
            on_address=learned,
            log=lambda message: print(message, file=sys.stderr, flush=True),
        )
    except Exception as exc:  # an OnionError says what to do; nothing may stop the site
        print(f"The onion service could not be published: {exc}\n"
              "The site keeps serving on loopback only.", file=sys.stderr, flush=True)
        return
    if site is None:
        return
    published.append(site)
    if site.client_auth_line:
        print("Private site: members add this line in Tor Browser (Settings, Privacy & "
              f"Security, Onion Services Authentication):\n  {site.client_auth_line}",
              flush=True)


def serve(app: Flask, *, host: str, port: int, threads: int, onion: bool,
          client_auth: bool = False) -> None:
    """Bind, publish (when asked), then serve until SIGINT/SIGTERM."""
    pruning = prune_schedule(app.config["BOARDS"], app.config["STORE"],
                             app.config["SETTINGS"].prune_interval)
    limits, warning = fit_budget(Limits())
    if warning:
        print(warning, file=sys.stderr, flush=True)
    server = GuardedServer(
        app, limits, host=host, port=port, threads=threads, ident="",
        clear_untrusted_proxy_headers=True, expose_tracebacks=False,
        max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + 64 * 1024,
    )
    bound_port = server.effective_port
    base_url = f"http://{f'[{host}]' if ':' in host else host}:{bound_port}"
    print(f"Leftbook is serving on {base_url}/", flush=True)
    record_serving(app.config["SETTINGS"].data_dir, base_url)
    if host not in LOOPBACK_HOSTS:
        print(f"WARNING: listening on {host}, not loopback: anyone who can reach this "
              "machine can connect, bypassing Tor.", file=sys.stderr, flush=True)
    published: list = []
    if onion:
        threading.Thread(target=_publish, args=(app, bound_port, published, client_auth),
                         daemon=True, name="onion-publisher").start()
    _stop_on_signals(server)
    pruning.start()
    app.config["MEDIA_WORKERS"].start()
    try:
        server.run()
    finally:
        pruning.stop()
        app.config["MEDIA_WORKERS"].close()
        forget_serving(app.config["SETTINGS"].data_dir, base_url)
        for site in published:
            site.close()
