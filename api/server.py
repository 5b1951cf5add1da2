"""Production serving: waitress in N worker processes on one socket, the app loaded before they fork.

Why waitress: its I/O loop reads a request's headers and body completely (into a buffer)
before a worker thread sees it, so a slow or idle client costs one socket and a little
memory, never a thread. Gunicorn's sync threads read the body themselves: six clients
that send ``Content-Length: 1000`` and one byte left ``/healthz`` unanswered for 40 s.

- **Processes.** The parent loads model, spaCy tables and index, binds the socket and forks
  ``workers`` children that serve it (copy-on-write sharing of the weights and index
  pages); a child that dies is started again, SIGTERM/SIGINT to the parent stop them all.
  Each child reloads the index when the store's generation moves (``Radar``).
- **Bounds** per connection, enforced in the I/O loop: request line ``MAX_REQUEST_LINE``
  bytes (414), all headers ``MAX_HEADER_BYTES`` (431), body ``MAX_BODY_BYTES`` (413), a
  request (headers and body) must arrive within ``REQUEST_READ_TIMEOUT_S`` and a
  connection may be idle ``IDLE_TIMEOUT_S`` at most; then it is closed.
- **Errors the server answers itself** (malformed HTTP, chunked encoding, sizes) are JSON
  ``{"error", "message"}`` in German, like the app's.
- **Access log** on stdout, one line per request; the signed tokens in subscription
  links (``/abo/…/<token>``, ``/api/v1/subscriptions/<token>``) are written as ``…``.
"""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import sys
import time

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from api.app import MAX_BODY_BYTES, SECURITY_HEADERS, create_app
from partnerradar.config import Settings

log = logging.getLogger(__name__)

#: A request line (method, path with query, version). A 2,000-character German query,
#: percent-encoded, is about 12 KB.
MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024
REQUEST_READ_TIMEOUT_S = 30
IDLE_TIMEOUT_S = 20
THREADS_PER_WORKER = 4
#: Open connections per worker process (slow clients wait in the I/O loop, not in threads).
CONNECTIONS_PER_WORKER = 1000
#: A child that dies sooner than this after its start is restarted only after a pause.
RESPAWN_PAUSE_S = 1.0
STOP_GRACE_S = 20


# -- one connection ---------------------------------------------------------------------

class _RequestParser(HTTPRequestParser):
    """Waitress's parser, plus when the request began and a bound on its request line."""

    uri_too_long = False

    def __init__(self, adj):
        super().__init__(adj)
        self.started = time.monotonic()

    def parse_header(self, header_plus):
        end = header_plus.find(b"\n")
        if (end if end >= 0 else len(header_plus)) > MAX_REQUEST_LINE:
            self.uri_too_long = True
            raise ParsingError("request line too long")
        super().parse_header(header_plus)


_SERVER_ERRORS = {
    400: ("bad_request", "Die Anfrage ist kein gültiges HTTP (Kopfzeilen oder Chunked-Kodierung fehlerhaft)."),
    413: ("request_entity_too_large",
          f"Der Inhalt der Anfrage ist zu groß (höchstens {MAX_BODY_BYTES // 2**20} MiB)."),
    414: ("request_uri_too_long", f"Die Anfragezeile ist zu lang (höchstens {MAX_REQUEST_LINE // 1024} KiB)."),
    431: ("request_header_fields_too_large",
          f"Die Kopfzeilen der Anfrage sind zu groß (höchstens {MAX_HEADER_BYTES // 1024} KiB)."),
    501: ("not_implemented", "Diese Transfer-Kodierung unterstützt der Server nicht (nur chunked)."),
}
_REASONS = {400: "Bad Request", 413: "Request Entity Too Large", 414: "URI Too Long",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented"}


class _JsonErrorTask(ErrorTask):
    """What waitress answers itself, as the app would: German JSON, the same security headers."""

    def execute(self):
        code = 414 if getattr(self.request, "uri_too_long", False) else self.request.error.code
        error, message = _SERVER_ERRORS.get(code, ("internal_error", "Interner Fehler; der Vorfall wurde protokolliert."))
        body = json.dumps({"error": error, "message": message}, ensure_ascii=False).encode("utf-8")
        self.status = f"{code} {_REASONS.get(code, 'Error')}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.response_headers.extend(SECURITY_HEADERS.items())
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    parser_class = _RequestParser
    error_task_class = _JsonErrorTask


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def maintenance(self, now):
        """Waitress closes idle connections; also close those whose request takes too long to arrive.

        A client that sends one byte every few seconds is never idle, so the idle timeout
        alone would let it hold its connection for ever.
        """
        super().maintenance(now)
        cutoff = time.monotonic() - REQUEST_READ_TIMEOUT_S
        for channel in list(self.active_channels.values()):
            request = channel.request
            if request is not None and not request.completed and request.started < cutoff:
                channel.will_close = True


# -- access log -------------------------------------------------------------------------

#: Path segments that are a signed subscription token: the token is the authorisation,
#: so whoever reads the log could manage (or cancel) the subscription.
_TOKEN_PATHS = re.compile(r"^(/abo/[^/]+/|/api/v1/subscriptions/)[^/?]+")


def redact_path(path: str) -> str:
    """The path as the access log writes it: signed tokens replaced by ``…``."""
    return _TOKEN_PATHS.sub(r"\1…", path)


class AccessLog:
    """WSGI middleware: one line per request on the ``partnerradar.access`` logger."""

    def __init__(self, app, logger: logging.Logger):
        self.app, self.logger = app, logger

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = ["-"]

        def record_status(code, headers, exc_info=None):
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        def write_line():
            path = environ.get("PATH_INFO", "")
            query = environ.get("QUERY_STRING", "")
            # PATH_INFO is latin-1 decoded bytes; the log shows what the client sent.
            line = redact_path(path.encode("latin-1", "replace").decode("utf-8", "replace"))
            if query:
                line += "?" + query
            self.logger.info('%s "%s %s %s" %s %.1fms', environ.get("REMOTE_ADDR", "-"),
                             environ.get("REQUEST_METHOD", "-"), line.replace('"', "%22"),
                             environ.get("SERVER_PROTOCOL", "-"), status[0],
                             (time.perf_counter() - started) * 1000)

        return _ClosingBody(self.app(environ, record_status), write_line)


class _ClosingBody:
    """The app's response body; when the server closes it (sent or not), the line is written."""

    def __init__(self, body, on_close):
        self.body, self.on_close = body, on_close

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close()


def _access_logger() -> logging.Logger:
    logger = logging.getLogger("partnerradar.access")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


# -- processes --------------------------------------------------------------------------

def _serve_forever(app, sock: socket.socket) -> None:
    """One worker process: waitress's I/O loop on the shared socket, until SIGTERM."""
    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the parent; it stops us
    adj = Adjustments(sockets=[sock], threads=THREADS_PER_WORKER, ident="Partnerradar",
                      connection_limit=CONNECTIONS_PER_WORKER, asyncore_use_poll=True,
                      channel_timeout=IDLE_TIMEOUT_S, cleanup_interval=1,
                      max_request_header_size=MAX_HEADER_BYTES,
                      max_request_body_size=MAX_BODY_BYTES + 1, expose_tracebacks=False)
    server = _Server(AccessLog(app, _access_logger()), _sock=sock, bind_socket=False, adj=adj,
                     sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()), map={})
    server.run()          # returns after SIGTERM, once the worker threads finished (≤ 5 s)


class Supervisor:
    """The parent: starts ``workers`` children on ``sock``, restarts the dead, stops all on SIGTERM."""

    def __init__(self, app, sock: socket.socket, workers: int):
        self.app, self.sock, self.workers = app, sock, workers
        self.children: dict[int, float] = {}      # pid -> start time
        self.stopping = False

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:
            # The parent's handler would stop the siblings; the child sets its own at once.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self.children = {}
            code = 0
            try:
                _serve_forever(self.app, self.sock)
            except BaseException:
                log.exception("worker failed")
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _stop(self, _signum, _frame) -> None:
        self.stopping = True
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for _ in range(self.workers):
            self._spawn()
        print(f"Partnerradar lauscht auf http://{_address(self.sock)} "
              f"({self.workers} Worker-Prozess{'e' if self.workers != 1 else ''}, Prozess {os.getpid()})",
              file=sys.stderr, flush=True)
        stop_deadline = None
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                if self.stopping:
                    stop_deadline = stop_deadline or time.monotonic() + STOP_GRACE_S
                    if time.monotonic() > stop_deadline:
                        for child in self.children:
                            os.kill(child, signal.SIGKILL)
                time.sleep(0.2)
                continue
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            log.warning("worker %d ended (status %d); starting a new one", pid, status)
            if time.monotonic() - started < RESPAWN_PAUSE_S:
                time.sleep(RESPAWN_PAUSE_S)        # a worker that dies at once must not spin
            self._spawn()
        self.sock.close()


def _address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


def default_workers() -> int:
    """One worker per CPU this process may run on: ``taskset`` or a container's cpuset leave
    fewer than the machine has, and a worker per core of the machine would only compete."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):      # no affinity on this platform (macOS)
        return max(1, os.cpu_count() or 1)


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None):
    from partnerradar.radar import Radar

    # Memory-mapped index: every worker maps the same file (page cache) instead of holding
    # its own copy, also after a write makes them reload the next generation.
    app = create_app(settings, Radar(settings, mmap=True))
    radar = app.extensions["radar"]
    # Load model, spaCy tables and index before forking: workers share them copy-on-write.
    radar.encoder
    radar.analyzer
    radar.index
    if radar.terms_outdated():
        log.warning("the stored lexical terms were derived by an older version; "
                    "'partnerradar reindex' derives them again (no re-embedding)")
    # No SQLite connection crosses the fork: each worker thread opens its own.
    radar.store.close()
    sock = bind(host, port)
    Supervisor(app, sock, workers or default_workers()).run()
    # All workers are gone. The interpreter's own teardown of the loaded model and index
    # takes about 10 s here (native threads); there is nothing left to save, so skip it.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
