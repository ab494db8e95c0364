"""``uxlab serve``: the production WSGI server, and the audit worker beside it."""

from __future__ import annotations

import gc
import logging
import math
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any, Final

import click
from flask import Flask
from flask.cli import with_appcontext

from uxlab.cli.base import domain_errors

__all__ = ["CONNECTION_LIMIT", "QueueDepthSummary", "serve_command"]


class QueueDepthSummary(logging.Filter):
    """Let waitress's queue-depth warning through once per ``interval`` seconds.

    Waitress warns "Task queue depth is N" for every request that has to wait
    for a free thread: under a steady load that is hundreds of lines a second,
    and writing them slows the busy server further. The line let through names
    the deepest queue seen since the last one.
    """

    def __init__(
        self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__("waitress.queue")
        self.interval = interval
        self._clock = clock
        self._next = -math.inf
        self._deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        depth = args[0] if args and isinstance(args[0], int) else 0
        self._deepest = max(self._deepest, depth)
        now = self._clock()
        if now < self._next:
            return False
        record.msg = "Task queue depth reached %d (requests waiting for a thread)"
        record.args = (self._deepest,)
        self._deepest = 0
        self._next = now + self.interval
        return True


def _serve_processes(
    app: Flask, host: str, port: int, threads: int, processes: int
) -> None:
    """Run ``app`` in ``processes`` gunicorn workers until stopped.

    gunicorn, a pre-fork server kept up for over a decade, starts the workers,
    restarts one that dies and stops them all on SIGTERM or Ctrl+C: a process
    manager uxlab does not have to write. Its threaded worker gives each
    process ``threads`` threads, as waitress does.
    """
    from gunicorn.app.base import BaseApplication

    from uxlab.db import get_engine

    engine = get_engine(app)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": [f"{host}:{port}"],
                "workers": processes,
                "worker_class": "gthread",
                "threads": threads,
                # The app is made once, here, before the workers are forked.
                "preload_app": True,
                "graceful_timeout": 10,
                "post_fork": _after_fork,
                # gunicorn's control socket has one default path per user, so
                # two servers on a host would remove each other's.
                "control_socket_disable": True,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    def _after_fork(_server: Any, _worker: Any) -> None:
        # Connections are the parent's; a worker opens its own. Threads (the
        # recorder's lane among them) start in the worker on first use.
        engine.dispose(close=False)

    engine.dispose()
    # Objects made so far live as long as the server (see below); frozen
    # before the fork, they also stay shared with the workers' memory.
    gc.freeze()
    click.echo(
        f"uxlab is serving on http://{host}:{port}/ with {processes} processes "
        "(Ctrl+C to stop)"
    )
    Server().run()


def _warn_about_links(app: Flask, host: str) -> None:
    """Say where links will point when no public address is set."""
    from uxlab.web.links import LOOPBACK_HOSTS

    if app.config.get("PUBLIC_URL"):
        return
    if host not in LOOPBACK_HOSTS:
        click.echo(
            f"Warning: serving on {host} without UXLAB_PUBLIC_URL: links in pages, "
            "exports and invitations use a request's host only when it is in "
            "UXLAB_TRUSTED_HOSTS, else 127.0.0.1. Set UXLAB_PUBLIC_URL to the "
            "address participants use.",
            err=True,
        )


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind."
)
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option(
    "--threads",
    default=16,
    show_default=True,
    help="Worker threads per process; live pages stream on at most half of them.",
)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="App processes; more than one needs PostgreSQL and runs under gunicorn.",
)
@with_appcontext
@domain_errors
def serve_command(host: str, port: int, threads: int, processes: int) -> None:
    """Serve uxlab with a production WSGI server.

    One process (the default) is served by waitress. With --processes N and
    a PostgreSQL database, gunicorn runs N app processes of --threads threads
    each, restarting any that dies. The same with gunicorn's own command line,
    after `uxlab db upgrade` and with UXLAB_DATABASE_URL and UXLAB_SECRET_KEY
    set:

    \b
        gunicorn --workers 4 --worker-class gthread --threads 16 \\
            --preload --bind 127.0.0.1:5000 'uxlab:create_app()'
    """
    from flask import current_app

    from uxlab.db import get_engine
    from uxlab.migrate import require_current, upgrade

    if get_engine().dialect.name == "sqlite":
        if processes > 1:
            # Several processes would queue on SQLite's one write lock through
            # its busy timeout, and live pages would not hear each other.
            click.echo(
                f"Error: --processes {processes} needs PostgreSQL; SQLite serves "
                "one process (set UXLAB_DATABASE_URL to a PostgreSQL database).",
                err=True,
            )
            raise SystemExit(2)
        upgrade()  # the embedded default migrates itself (copying the file first)
    else:
        require_current()  # a shared database is upgraded once, by its operator
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Live pages stream on at most half the threads; the rest serve pages.
    if not app.config.get("LIVE_STREAMS"):
        app.config["LIVE_STREAMS"] = max(1, threads // 2)
    _warn_about_links(app, host)
    try:
        # Bind once first: waitress, failing to bind, leaves sockets behind.
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: "
            f"{os.strerror(exc.errno) if exc.errno else exc}"
            " (is another server running there? try --port)"
        ) from None
    if processes > 1:
        _serve_processes(app, host, port, threads, processes)
        return
    from uxlab.audits.worker import start_embedded_worker

    # Set before the worker starts, so a stop asked for from then on stops it.
    _stop_on_signals()
    queue_log = logging.getLogger("waitress.queue")
    summary = QueueDepthSummary()
    queue_log.addFilter(summary)
    worker = None
    try:
        # The embedded default runs audits in a worker of its own; team
        # servers run `uxlab worker` where they choose (the app hosts need no
        # browser).
        if get_engine().dialect.name == "sqlite":
            worker = start_embedded_worker(app.config["DATABASE_URL"])
        _run_waitress(app, host, port, threads)
    except KeyboardInterrupt:
        pass
    finally:
        queue_log.removeFilter(summary)
        if worker is not None:
            _stop_worker(worker)


def _run_waitress(app: Any, host: str, port: int, threads: int) -> None:
    """Serve ``app`` with waitress until interrupted."""
    from waitress.server import create_server

    # Lookahead keeps reading each connection while its request runs, so a
    # live page's stream learns at once that its page has gone.
    # ident="": no `Server: waitress` header telling a scanner what runs here.
    # Browsers keep their connections open, up to six per site, and each
    # participant has the study's tab and the site's: waitress's default of
    # 100 connections left the hundred-and-first participant unanswered.
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_request_lookahead=1,
        connection_limit=_connection_limit(),
        ident="",
    )
    # Everything loaded so far (Flask, SQLAlchemy, numpy, scipy, matplotlib:
    # some 200,000 objects) lives as long as the server. Frozen, it is left out
    # of the collector's full passes, each of which would otherwise stop every
    # thread for over 100 ms.
    gc.freeze()
    click.echo(f"uxlab is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        server.run()
    finally:
        server.close()


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Stop as on Ctrl+C on SIGINT and on SIGTERM (a service manager's stop).

    A shell without job control starts a background command (``uxlab serve
    &``) with SIGINT ignored, and Python keeps an ignored SIGINT ignored: the
    server would then never stop on it. SIGTERM's default ends the process at
    once, leaving its audit worker to notice by itself.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)


def _stop_worker(worker: subprocess.Popen[bytes], wait: float = 10) -> None:
    """Ask the embedded worker to stop; kill it if it has not within ``wait``
    seconds (its audit process, in a group of its own, then ends with it)."""
    worker.terminate()
    try:
        worker.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


#: Open connections one ``uxlab serve`` process keeps at most.
CONNECTION_LIMIT: Final = 1000


def _connection_limit() -> int:
    """CONNECTION_LIMIT, within this process's open-file limit (raised if it may)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return CONNECTION_LIMIT
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + 100  # the database, logs and the worker's pipes
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raise_to = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raise_to, hard))
            soft = raise_to
        except (OSError, ValueError):
            pass
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(100, min(CONNECTION_LIMIT, soft - 100))
