"""A private CA and certificates for tests, made with Debian's openssl command line.

``make_pki(dir)`` writes a CA and issues what a test asks for: ``issue(name)`` -> (cert, key)
with the name as subject CN and DNS subjectAltName (and IP 127.0.0.1, so a loopback address
can be dialled by that name). Short-lived (2 days), EC P-256.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@dataclass(frozen=True)
class Pki:
    directory: Path
    name: str

    @property
    def ca(self) -> str:
        return str(self.directory / f"{self.name}-ca.crt")

    def issue(self, name: str) -> tuple[str, str]:
        """A certificate for ``name`` signed by this CA: (cert path, key path)."""
        d = self.directory
        key, csr, crt, ext = (d / f"{name}.{s}" for s in ("key", "csr", "crt", "ext"))
        ext.write_text(f"subjectAltName=DNS:{name},IP:127.0.0.1\n")
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", str(csr), "-CA", self.ca,
                 "-CAkey", str(d / f"{self.name}-ca.key"), "-CAcreateserial",
                 "-out", str(crt), "-days", "2", "-extfile", str(ext), cwd=d)  # fmt: skip
        return str(crt), str(key)


def make_pki(directory: Path, name: str = "test") -> Pki:
    """A new CA called ``name`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}-ca.key", "-out", f"{name}-ca.crt", "-days", "2",
             "-subj", f"/CN={name} CA", cwd=directory)  # fmt: skip
    return Pki(directory, name)
