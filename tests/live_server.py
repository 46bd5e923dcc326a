"""Run the real `faq-assistant serve` on a free loopback port, for the HTTP and browser tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_command() -> list[str]:
    """The installed console script next to this Python, else `python -m assistant`."""
    script = Path(sys.executable).with_name("faq-assistant")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"serve exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"serve did not answer on {base} within {timeout}s")


@contextmanager
def live_server(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start `serve`, wait for /healthz, yield (process, base URL), and always stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*serve_command(), "serve", "--port", str(port), *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(base, process)
        yield process, base
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr:
        process.stderr.close()
