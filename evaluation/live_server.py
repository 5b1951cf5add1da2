"""A real ``partnerradar serve`` on loopback, for the tests and the benchmarks that need one.

One home for what each of them used to write itself: a free port, a clean environment
(no ``PARTNERRADAR_*`` of the caller's shell, no hub access), waiting for ``/healthz``,
and stopping the server together with its worker processes::

    with serving(db, workers=2, env={"PARTNERRADAR_RATE_SEARCH": "5 per minute"}) as server:
        status, headers, text = call(server.base, "/api/v1/search", {"query": "Laserschweißen"})
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``PARTNERRADAR_*`` settings, offline, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERRADAR_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.update(extra or {})
    return env


def cli_command() -> list[str]:
    """How to run this environment's ``partnerradar`` (the console script where it is installed)."""
    script = Path(sys.executable).parent / "partnerradar"
    if script.exists():
        return [str(script)]
    # As the console script does it (``-m partnerradar.cli`` would import the CLI twice).
    return [sys.executable, "-c", "import sys; from partnerradar.cli import main; sys.argv[0] = 'partnerradar'; main()"]


def run_cli(*args: str, db: Path, env: dict[str, str] | None = None, stdin: str | None = None,
            command: Sequence[str] | None = None, cwd: str | None = None) -> str:
    """``partnerradar ARGS --db DB`` to its end; its stdout (stripped). Fails loudly on an error."""
    return subprocess.run(list(command or cli_command()) + list(args) + ["--db", str(db)], input=stdin, text=True,
                          check=True, env=clean_env(env), cwd=cwd, capture_output=True).stdout.strip()


def admin_key(db: Path, email: str, password: str, env: dict[str, str] | None = None, **kwargs) -> str:
    """An admin account made through the CLI, and an API key for it."""
    run_cli("user", "add", email, "--role", "admin", "--password-stdin", db=db, env=env, stdin=password + "\n",
            **kwargs)
    return run_cli("key", "create", email, db=db, env=env, **kwargs)


def call(base: str, path: str, body=None, *, key: str | None = None, method: str | None = None,
         headers: dict | None = None, raw_body: bytes | None = None, opener=None,
         timeout: float = 60) -> tuple[int, object, str]:
    """(status, headers, text) of one request; an HTTP error status is an answer, not an exception.

    A connection that fails or times out raises ``OSError``.
    """
    data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode("utf-8"))
    headers = dict(headers or {})
    if data is not None and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(base + path, data=data, headers=headers,
                                 method=method or ("POST" if data is not None else "GET"))
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def raw(port: int, data: bytes, wait: float = 10) -> bytes:
    """Bytes as an attacker writes them; the answer until the server closes (or ``wait`` s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass                                # answered and closed before we finished
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return out


@dataclass
class LiveServer:
    base: str
    port: int
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serving(db: Path, *, log_path: Path, workers: int | None = 2, env: dict[str, str] | None = None,
            args: Sequence[str] = (), command: Sequence[str] | None = None, cwd: str | None = None,
            startup_timeout_s: float = 120) -> Iterator[LiveServer]:
    """``partnerradar serve --db DB --workers N`` on a free loopback port, until the block ends
    (``workers=None``: without ``--workers``, the server's own default).

    Raises ``RuntimeError`` with the server's log when it exits or does not answer
    ``/healthz`` within ``startup_timeout_s``.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(log_path).open("w")
    argv = list(command or cli_command()) + ["serve", "--host", "127.0.0.1", "--port", str(port),
                                             *(["--workers", str(workers)] if workers else []), "--db", str(db), *args]
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=clean_env(env), cwd=cwd,
                               start_new_session=True)
    server = LiveServer(base, port, Path(log_path), process)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
            try:
                if call(base, "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not up after {startup_timeout_s} s:\n{server.log()}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()                 # the parent stops its workers on SIGTERM
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        try:
            os.killpg(process.pid, signal.SIGKILL)      # workers of this server only, if any outlived it
        except ProcessLookupError:
            pass
        log.close()
