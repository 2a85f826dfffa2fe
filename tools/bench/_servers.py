"""Shared by the benchmarks: a throwaway PostgreSQL database, Django set up against it, Daphne
processes and a fake FCM on loopback. Benchmarks print figures; they are not tests."""

import ipaddress
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.daphne import daphne_processes as _daphne_processes  # noqa: E402
from tests.daphne import free_port, raise_file_limit  # noqa: E402, F401

DATABASE = os.environ.get("BENCH_DATABASE", "humble_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")


def setup_django(*, create: bool = True) -> None:
    """Django configured against the benchmark database (made afresh, with the schema, unless
    `create` is False: a worker process joining the one its parent made)."""
    if create:
        for statement in (f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement], check=True)
    os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    if create:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


@contextmanager
def daphne_processes(count: int):
    with _daphne_processes(
        count, env={"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
    ) as servers:
        yield servers


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# A fake FCM: nginx answering every POST with a fixed body, over HTTP/2 with TLS (as FCM
# speaks) and over plain HTTP/1.1. nginx reads each request body before answering (the echo
# module), as FCM does; it answers some 100,000 requests a second on one core, so it is never
# what a benchmark measures. Debian: `apt-get install nginx-light` (brings the echo module).
NGINX_FCM = """
load_module {echo};
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    keepalive_requests 1000000000;
    server {{
        listen 127.0.0.1:{h2_port} ssl http2;
        listen 127.0.0.1:{h1_port};
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location /status {{ stub_status; }}
        location / {{
            default_type application/json;
            echo_read_request_body;
            echo -n '{{"name": "projects/bench/messages/1"}}';
        }}
    }}
}}
"""


@dataclass(frozen=True)
class FakeFcm:
    h2_url: str  # https, HTTP/2
    h1_url: str  # plain HTTP/1.1
    ca_file: str  # the certificate to trust for h2_url
    pid: int

    def counters(self) -> dict[str, int]:
        """nginx's own counts: connections accepted, requests served (this read included)."""
        with urllib.request.urlopen(self.h1_url.split("/v1/")[0] + "/status") as answer:
            numbers = answer.read().decode().splitlines()[2].split()
        return {"connections": int(numbers[0]), "requests": int(numbers[2])}

    def cpu_seconds(self) -> float:
        """CPU used so far by nginx and its worker process."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return sum(cpu_seconds(pid) for pid in (self.pid, *map(int, children)))


def cpu_seconds(pid: int) -> float:
    """CPU a process has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def fake_fcm(project: str = "bench"):
    """nginx as a fake FCM on loopback, in its own processes; yields a FakeFcm."""
    with tempfile.TemporaryDirectory(prefix="fake-fcm-") as folder:
        _self_signed_certificate(Path(folder))
        h2_port, h1_port = free_port(), free_port()
        config = Path(folder, "nginx.conf")
        config.write_text(
            NGINX_FCM.format(
                echo="/usr/lib/nginx/modules/ngx_http_echo_module.so", dir=folder, h2_port=h2_port, h1_port=h1_port
            )
        )
        process = subprocess.Popen(["nginx", "-e", f"{folder}/error.log", "-p", folder, "-c", str(config)])
        try:
            path = f"/v1/projects/{project}/messages:send"
            server = FakeFcm(
                f"https://127.0.0.1:{h2_port}{path}",
                f"http://127.0.0.1:{h1_port}{path}",
                f"{folder}/cert.pem",
                process.pid,
            )
            for _ in range(100):
                try:
                    server.counters()
                    break
                except OSError:
                    time.sleep(0.05)
            yield server
        finally:
            process.terminate()
            process.wait()


def _self_signed_certificate(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-fcm")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
