"""A small WebDriver BiDi client for Debian's firefox-esr (no geckodriver, no Selenium).

Firefox has the WebDriver BiDi server built in: ``--remote-debugging-port`` opens it on
loopback and ``--remote-allow-system-access`` lets a session evaluate script in the browser's
own (chrome) window and open ``moz-extension://`` pages. This module starts firefox-esr headless
with a fresh profile whose preferences keep every name on loopback, connects over a websocket
(the ``websockets`` package), and offers the few commands the extension tests need.

The protocol is the W3C one (https://w3c.github.io/webdriver-bidi/): one JSON command per
message with an ``id``, answered by a message with the same ``id``; events carry a ``method``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: The extension's gecko id (extension/src/manifest.json).
EXTENSION_ID = "revocation-lab@revlab.example"
#: The moz-extension:// host the profile pins for the extension, so tests can open its pages.
EXTENSION_UUID = "0d7c3a52-1b6e-4b8f-9a41-5e6f7a8b9c0d"
#: Upper bound of every wait for the browser (a wait, not an assertion about speed).
WAIT_S = 30.0

#: Profile preferences: loopback only, no background traffic, the extension's UUID pinned.
BASE_PREFS: Mapping[str, object] = {
    "extensions.webextensions.uuids": json.dumps({EXTENSION_ID: EXTENSION_UUID}),
    # Every name resolves to 127.0.0.1: the test sites are reached, nothing else can be.
    "network.dns.forceResolve": "127.0.0.1",
    "network.proxy.type": 0,
    "network.trr.mode": 5,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "security.OCSP.enabled": 0,
    "security.remote_settings.crlite_filters.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.search.update": False,
    "browser.newtabpage.enabled": False,
    "browser.ping-centre.telemetry": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "http://127.0.0.1:9/",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "captivedetect.canonicalURL": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
}


class BidiError(RuntimeError):
    """The browser answered a command with an error."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_profile(profile: Path, prefs: Mapping[str, object]) -> None:
    """A fresh profile directory whose ``user.js`` sets ``prefs``."""
    profile.mkdir(parents=True, exist_ok=True)
    lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class EvalResult:
    """The deserialised value of a ``script.evaluate`` or ``script.callFunction``."""

    value: Any


def _deserialise(remote: Mapping[str, Any]) -> Any:
    """A BiDi RemoteValue as a Python value (primitives, arrays and objects)."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        return value if not isinstance(value, str) else float(value.replace("Infinity", "inf"))
    if kind in ("array", "set"):
        return [_deserialise(v) for v in remote.get("value", [])]
    if kind in ("object", "map"):
        out: dict[str, Any] = {}
        for key, value in remote.get("value", []):
            name = key if isinstance(key, str) else _deserialise(key)
            out[str(name)] = _deserialise(value)
        return out
    return {"type": kind}


def _serialise(value: Any) -> dict[str, Any]:
    """A Python primitive as a BiDi LocalValue."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        return {"type": "number", "value": value}
    return {"type": "string", "value": str(value)}


class Firefox:
    """firefox-esr driven over WebDriver BiDi."""

    def __init__(
        self,
        executable: str,
        profile: Path,
        prefs: Mapping[str, object],
        env: Mapping[str, str] | None = None,
    ):
        """Start the browser on a fresh profile and open a BiDi session."""
        write_profile(profile, prefs)
        port = _free_port()
        self._log = open(profile.parent / f"{profile.name}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-remote",
                "--profile",
                str(profile),
                f"--remote-debugging-port={port}",
                "--remote-allow-hosts=127.0.0.1",
                "--remote-allow-system-access",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        try:
            self._ws = self._connect(f"ws://127.0.0.1:{port}/session").__enter__()
            answer = self.command("session.new", {"capabilities": {"alwaysMatch": {}}})
        except BaseException:
            self._end_process()
            raise
        self.version = str(answer["capabilities"]["browserVersion"])

    def _connect(self, url: str) -> ClientConnection:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                return connect(url, max_size=None, open_timeout=5)
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def command(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        ident = self._next_id
        self._ws.send(json.dumps({"id": ident, "method": method, "params": dict(params)}))
        while True:
            message = json.loads(self._ws.recv(timeout=WAIT_S * 2))
            if message.get("id") != ident:
                if "method" in message:
                    self.events.append(message)
                continue
            if message.get("type") == "error":
                raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
            return dict(message["result"])

    def install_extension(self, archive: Path) -> str:
        """Install a built zip as a temporary add-on (``webExtension.install``); its id."""
        result = self.command(
            "webExtension.install",
            {"extensionData": {"type": "archivePath", "path": str(archive)}},
        )
        return str(result["extension"])

    def chrome_context(self) -> str:
        """The browser window's privileged context (needs ``--remote-allow-system-access``)."""
        tree = self.command("browsingContext.getTree", {"moz:scope": "chrome", "maxDepth": 0})
        return str(tree["contexts"][0]["context"])

    def trust_root(self, der: bytes) -> None:
        """Trust a CA certificate for TLS servers in this profile's NSS database."""
        import base64

        b64 = base64.b64encode(der).decode()
        self.call(
            self.chrome_context(),
            "(b64) => { const db = Cc['@mozilla.org/security/x509certdb;1']"
            ".getService(Ci.nsIX509CertDB); db.addCertFromBase64(b64, 'C,,'); return true; }",
            b64,
        )

    def new_tab(self) -> str:
        """A new tab's browsing context id."""
        return str(self.command("browsingContext.create", {"type": "tab"})["context"])

    def navigate(self, context: str, url: str, wait: str = "complete") -> dict[str, Any]:
        """Navigate a context and wait (``none``, ``interactive`` or ``complete``)."""
        return self.command(
            "browsingContext.navigate", {"context": context, "url": url, "wait": wait}
        )

    def wait_loaded(self, context: str) -> None:
        """Wait until a context's document has finished loading (its ``load`` event)."""
        deadline = time.monotonic() + WAIT_S
        while self.evaluate(context, "document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{context} did not finish loading")
            time.sleep(0.05)

    def close_tab(self, context: str) -> None:
        """Close a tab."""
        self.command("browsingContext.close", {"context": context})

    def evaluate(self, context: str, expression: str) -> Any:
        """Evaluate an expression in a context (promises awaited) and return its value."""
        result = self.command(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        return self._value(result)

    def call(self, context: str, function: str, *args: Any) -> Any:
        """Call a function declaration with JSON-serialisable arguments; its value."""
        result = self.command(
            "script.callFunction",
            {
                "functionDeclaration": function,
                "arguments": [_serialise(a) for a in args],
                "target": {"context": context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        return self._value(result)

    @staticmethod
    def _value(result: Mapping[str, Any]) -> Any:
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise BidiError(f"script threw: {details.get('text')}")
        return _deserialise(result["result"])

    def close(self) -> None:
        """End the session and the browser."""
        try:
            self.command("browser.close", {})
        except Exception:  # noqa: BLE001 - the browser may already be gone
            pass
        try:
            self._ws.__exit__(None, None, None)
        except Exception:  # noqa: BLE001
            pass
        self._end_process()

    def _end_process(self) -> None:
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
