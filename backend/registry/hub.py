"""Model versions on the Hugging Face Hub: one repo per model, one git tag per version.

`<namespace>/<prefix><name>` holds the artifacts, `manifest.json` and a
generated model card; tags `v1, v2, ...` pin versions and `latest` is the
highest tag. Downloads land in the huggingface_hub cache and are verified
file by file against the manifest before anyone may load them. Only JSON /
npz / safetensors-style files are accepted: nothing from the Hub is unpickled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

if TYPE_CHECKING:
    import httpx2

# Offline by default for every other huggingface_hub user in the process (read at import);
# the registry lifts it for its own calls only, see `hub_online`.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from huggingface_hub import HfApi, constants, hf_hub_download, snapshot_download  # noqa: E402
from huggingface_hub.errors import (  # noqa: E402
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from backend.core.errors import ModelIntegrityError  # noqa: E402
from backend.core.redact import redact_text, redact_url  # noqa: E402
from backend.core.retry import TransientError, retry_after_seconds, with_retries  # noqa: E402
from backend.registry.base import RemoteUnavailableError  # noqa: E402
from backend.registry.card import CARD_FILE, render_card  # noqa: E402
from backend.registry.local import ModelNotFoundError  # noqa: E402
from backend.registry.manifest import (  # noqa: E402
    MANIFEST_FILE,
    Manifest,
    is_version,
    version_number,
)

logger = logging.getLogger(__name__)

SAFE_SUFFIXES = frozenset({".json", ".npz", ".safetensors", ".onnx", ".txt", ".md", ".yaml",
                           ".yml", ".csv", ".png"})
T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 503})
RETRY_BACKOFF_S = 1.0  # first wait when a 429/503 carries no Retry-After
_online_lock = threading.Lock()


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level failures of whichever HTTP client this huggingface_hub uses."""
    errors: list[type[BaseException]] = [httpx.HTTPError, OSError, OfflineModeIsEnabled,
                                         LocalEntryNotFoundError]
    with contextlib.suppress(ImportError):
        import httpx2  # huggingface_hub >= 2 ships its own httpx fork

        errors.append(httpx2.HTTPError)
    return tuple(errors)


TRANSPORT_ERRORS = _transport_errors()


class VersionExistsError(RuntimeError):
    """The tag is already on the Hub with other files; tags are immutable."""


class MovedTagError(ModelIntegrityError):
    """A version tag now points at another commit than the one pulled or pinned before."""


class HubBusyError(TransientError):
    """The Hub answered 429/503: come back later (after `retry_after` s when it said)."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}", retry_after)
        self.status = status


def _http_answer(exc: BaseException) -> HfHubHTTPError | None:
    """The Hub's HTTP error behind `exc` (huggingface_hub sometimes wraps it)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, HfHubHTTPError) and seen.response is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


_online = {"users": 0, "offline_before": False}


@contextlib.contextmanager
def hub_online() -> Iterator[None]:
    """Lift HF_HUB_OFFLINE while registry calls run (counted, so calls may overlap).

    The service runs with HF_HUB_OFFLINE=1 so no library downloads anything by
    accident; a configured remote registry is the one deliberate exception.
    """
    with _online_lock:
        if _online["users"] == 0:
            _online["offline_before"] = constants.HF_HUB_OFFLINE
            constants.HF_HUB_OFFLINE = False
        _online["users"] += 1
    try:
        yield
    finally:
        with _online_lock:
            _online["users"] -= 1
            if _online["users"] == 0:
                constants.HF_HUB_OFFLINE = bool(_online["offline_before"])


def install_timeout(timeout_s: float) -> None:
    """Give huggingface_hub's shared client a timeout (its default has none, so a Hub that
    accepts connections and never answers would hang start-up). Process-wide: one setting."""
    try:
        import httpx2
        from huggingface_hub import set_client_factory
    except ImportError:  # an older huggingface_hub: keep its own defaults
        return
    set_client_factory(lambda: httpx2.Client(
        event_hooks={"request": [_offline_guard]}, follow_redirects=True,
        timeout=httpx2.Timeout(timeout_s)))


def _offline_guard(request: httpx2.Request) -> None:
    """The check huggingface_hub's own client makes before every request (its hook is
    private): nothing leaves the process while offline mode is on."""
    if constants.is_offline_mode():
        raise OfflineModeIsEnabled(f"Cannot reach {redact_url(str(request.url))}: "
                                   "offline mode is enabled (HF_HUB_OFFLINE)")


class HubModelStore:
    """The `ModelStore` protocol over Hub repos, plus `publish` and a reachability status."""

    def __init__(self, namespace: str, token: str | None,
                 endpoint: str = "https://huggingface.co", prefix: str = "sift-",
                 cache_dir: Path | None = None, private: bool = True,
                 timeout_s: float = 20.0, max_retries: int = 2) -> None:
        self.namespace, self.token, self.prefix = namespace, token, prefix
        self.timeout_s, self.max_retries = timeout_s, max_retries
        install_timeout(timeout_s)
        self.endpoint = endpoint.rstrip("/")  # for calls only: may carry user:password
        self.shown_endpoint = redact_url(self.endpoint)  # for messages, logs and the API
        self.cache_dir = str(cache_dir) if cache_dir else None
        self.private = private
        self.api = HfApi(endpoint=self.endpoint, token=token or False)
        self._status = "unknown: not contacted yet"

    def repo_id(self, name: str) -> str:
        return f"{self.namespace}/{self.prefix}{name}"

    def status(self) -> str:
        """`reachable`, or `unreachable: <why>` after the last call that failed."""
        return self._status

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one Hub call online, retrying 429/503; turn failures into our errors."""
        if not self.token:
            self._status = "unreachable: HF_TOKEN is not set"
            raise RemoteUnavailableError(f"cannot {what}: HF_TOKEN is not set")
        try:
            with hub_online():
                result = with_retries(lambda: self._attempt(fn), self.max_retries,
                                      RETRY_BACKOFF_S)
        except (RevisionNotFoundError, RepositoryNotFoundError) as exc:
            self._status = "reachable"
            raise ModelNotFoundError(f"{what}: not on the Hub ({_first_line(exc)})") from exc
        except HubBusyError as exc:
            raise self._unreachable(what, f"{self.shown_endpoint} still answered HTTP {exc.status} "
                                    f"after {self.max_retries + 1} attempts") from exc
        except HfHubHTTPError as exc:
            code = exc.response.status_code if exc.response is not None else 0
            why = (f"{self.shown_endpoint} refused the token (HTTP {code}); check HF_TOKEN"
                   if code in (401, 403) else f"{self.shown_endpoint} answered HTTP {code}")
            wait = retry_after_seconds(exc.response.headers if exc.response is not None else None)
            if wait is not None:
                why += f" (Retry-After {wait:g} s" + (
                    ", longer than HF_TIMEOUT_S)" if wait > self.timeout_s else ")")
            raise self._unreachable(what, why) from exc
        except json.JSONDecodeError as exc:
            raise self._unreachable(what, f"{self.shown_endpoint} answered with something that is "
                                    f"not JSON ({exc.msg})") from exc
        except TRANSPORT_ERRORS as exc:
            name = type(exc).__name__
            why = (f"no answer from {self.shown_endpoint} within {self.timeout_s:g} s"
                   if "Timeout" in name else
                   f"the answer from {self.shown_endpoint} broke off: {_first_line(exc)}"
                   if name == "RemoteProtocolError" else
                   f"cannot connect to {self.shown_endpoint} ({name})")
            raise self._unreachable(what, why) from exc
        self._status = "reachable"
        return result

    def _attempt(self, fn: Callable[[], T]) -> T:
        """One try; a 429/503 from an API endpoint becomes retryable. Downloads are not
        retried here: huggingface_hub already retries those itself, honouring Retry-After."""
        try:
            return fn()
        except Exception as exc:
            answer = _http_answer(exc)
            if answer is None or answer.response is None:
                raise
            code, response = answer.response.status_code, answer.response
            wait = retry_after_seconds(response.headers)
            if (code in RETRY_STATUSES and "/resolve/" not in str(response.request.url)
                    and (wait is None or wait <= self.timeout_s)):
                logger.warning("%s answered HTTP %s; retrying after %s s", self.shown_endpoint,
                               code, f"{wait:g}" if wait is not None else "a backoff")
                raise HubBusyError(code, wait) from exc
            raise

    def _unreachable(self, what: str, why: str) -> RemoteUnavailableError:
        self._status = f"unreachable: {why}"
        return RemoteUnavailableError(f"cannot {what}: {why}")

    def names(self) -> list[str]:
        """Models with a repo under the namespace (repo names that carry the prefix)."""
        repos = self._call(f"list the models of {self.namespace}", lambda: list(
            self.api.list_models(author=self.namespace, search=self.prefix)))
        start = len(self.namespace) + 1 + len(self.prefix)
        return sorted(r.id[start:] for r in repos
                      if r.id.startswith(f"{self.namespace}/{self.prefix}"))

    def versions(self, name: str) -> list[str]:
        """Version tags on the Hub, oldest first ([] if the repo does not exist yet)."""
        try:
            refs = self._call(f"list versions of {name}",
                              lambda: self.api.list_repo_refs(self.repo_id(name)))
        except ModelNotFoundError:
            return []
        return sorted((t.name for t in refs.tags if is_version(t.name)), key=version_number)

    def resolve(self, name: str, version: str = "latest") -> str:
        if version != "latest":
            version_number(version)  # a clear ValueError for anything but v1, v2, ...
            return version
        versions = self.versions(name)
        if not versions:
            raise ModelNotFoundError(f"no versions of {name!r} on the Hub ({self.repo_id(name)})")
        return versions[-1]

    def tag_commit(self, name: str, tag: str) -> str:
        """The commit sha the version tag points at now."""
        refs = self._call(f"read the tags of {name}",
                          lambda: self.api.list_repo_refs(self.repo_id(name)))
        for ref in refs.tags:
            if ref.name == tag:
                return str(ref.target_commit)
        raise ModelNotFoundError(f"{tag} of {name!r} is not on the Hub ({self.repo_id(name)})")

    def manifest(self, name: str, version: str) -> Manifest:
        tag = self.resolve(name, version)
        path = self._call(f"read the manifest of {name} {tag}", lambda: hf_hub_download(
            self.repo_id(name), MANIFEST_FILE, revision=tag, cache_dir=self.cache_dir,
            token=self.token, endpoint=self.endpoint))
        return Manifest.read(Path(path).parent)

    def open(self, name: str, version: str = "latest",
             commit: str | None = None) -> tuple[Path, Manifest]:
        """Download `name@tag` into the cache, then verify it; a tampered file is refused.
        With `commit`, exactly that commit is downloaded (manifest and files together),
        so a tag moved in between cannot mix two versions."""
        tag = self.resolve(name, version)
        folder = Path(self._call(f"download {name} {tag}", lambda: snapshot_download(
            self.repo_id(name), revision=commit or tag, cache_dir=self.cache_dir,
            token=self.token, endpoint=self.endpoint)))
        where = f"{self.repo_id(name)}@{tag}"
        manifest = Manifest.read(folder)
        if manifest.name != name or manifest.version != tag:
            raise ModelIntegrityError(f"{where}: manifest says {manifest.name} "
                                      f"{manifest.version}, expected {name} {tag}")
        unsafe = [p for p in manifest.files if Path(p).suffix.lower() not in SAFE_SUFFIXES]
        if unsafe:
            raise ModelIntegrityError(f"{where}: refusing files that could need unpickling: "
                                      f"{', '.join(unsafe)}")
        try:
            manifest.verify(folder)
        except ModelIntegrityError as exc:
            raise ModelIntegrityError(f"download of {where} failed verification: {exc}") from exc
        return folder, manifest

    def publish(self, folder: Path, manifest: Manifest) -> str:
        """Upload a verified local version (+ model card) and tag it; returns the commit sha."""
        name, tag = manifest.name, manifest.version
        repo_id = self.repo_id(name)
        manifest.verify(folder)
        if tag in self.versions(name):
            remote = self.manifest(name, tag)
            if remote.files != manifest.files:
                raise VersionExistsError(
                    f"{repo_id} already has {tag} with other files; tags are immutable, so "
                    "publish this model under a new version")
            logger.info("%s %s is already on the Hub with the same files", name, tag)
            refs = self._call("read tags", lambda: self.api.list_repo_refs(repo_id))
            return next(t.target_commit for t in refs.tags if t.name == tag)
        with tempfile.TemporaryDirectory(prefix="sift-publish-") as tmp:
            staged = Path(tmp)
            for rel in [*manifest.files, MANIFEST_FILE]:
                (staged / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(folder / rel, staged / rel)
            (staged / CARD_FILE).write_text(render_card(manifest, repo_id), encoding="utf-8")
            self._call(f"create {repo_id}", lambda: self.api.create_repo(
                repo_id, private=self.private, exist_ok=True))
            info = self._call(f"upload {name} {tag}", lambda: self.api.upload_folder(
                repo_id=repo_id, folder_path=staged, commit_message=f"{name} {tag}",
                delete_patterns="*"))
        self._call(f"tag {name} {tag}", lambda: self.api.create_tag(
            repo_id, tag=tag, revision=info.oid, tag_message=f"{name} {tag}"))
        logger.info("published %s %s to %s (commit %s)", name, tag, repo_id, info.oid[:12])
        return str(info.oid)


def _first_line(exc: BaseException) -> str:
    """The first line of an error, with any `user:password@` in a URL masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact_text(text)
