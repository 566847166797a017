"""The databases the suite runs on: a SQLite file, or a throwaway PostgreSQL cluster the suite starts itself;
and a throwaway Redis server for the queue and the rate limits.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then runs as the `postgres` user.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError("PostgreSQL server binaries not found: install the 'postgresql' package (make test does).")


@contextmanager
def postgres_cluster():
    """Start a PostgreSQL server on a free loopback port; yield its SQLAlchemy URL; stop and remove it."""
    bindir = _pg_bin()
    base = tempfile.mkdtemp(prefix="portal-pg-")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        os.chmod(base, 0o755)
        shutil.chown(base, "postgres")
    data, log = os.path.join(base, "data"), os.path.join(base, "log")
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run([*prefix, f"{bindir}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync",
                    "-E", "UTF8", "--no-locale"], **quiet)
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
              "-c full_page_writes=off -c max_connections=200"
    subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-o", options, "start"], **quiet)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def redis_server():
    """Start Debian's redis-server on a free loopback port, in memory; yield its URL; stop it."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise RuntimeError("redis-server not found: install the 'redis-server' package (make test does).")
    base = tempfile.mkdtemp(prefix="portal-redis-")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", base,
         "--daemonize", "no", "--logfile", os.path.join(base, "log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)
