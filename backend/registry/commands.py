"""CLI commands for the Hub registry: publish a local version, list versions, pull one.

Registered by `backend/cli.py` (the `sift` CLI); the Hub settings
(HF_NAMESPACE, HF_TOKEN, HF_ENDPOINT, ...) come from `.env` like the service's.
huggingface_hub is imported only when one of these commands runs, after the
CLI has set HF_HUB_OFFLINE, so the other commands keep their offline guard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from backend.core.config import get_settings

if TYPE_CHECKING:
    from backend.registry.mirror import MirroredModelStore

ModelOption = Annotated[str | None, typer.Option(
    "--model", help="registry model name (default: LOG_MODEL_NAME)")]


def _mirror() -> MirroredModelStore:
    from backend.registry.mirror import MirroredModelStore, build_store

    store = build_store(get_settings())
    if not isinstance(store, MirroredModelStore):
        raise typer.BadParameter("set HF_NAMESPACE (and HF_TOKEN) in .env to use the Hub; "
                                 "see docs/registry.md", param_hint="HF_NAMESPACE")
    return store


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def publish_cmd(
    version: Annotated[str, typer.Option(help="local version to publish, e.g. v3")],
    model: ModelOption = None,
) -> None:
    """Publish a local registry version to the Hub: upload, model card, tag `vN`."""
    from backend.registry.base import RemoteUnavailableError
    from backend.registry.hub import VersionExistsError
    from backend.registry.local import ModelNotFoundError

    store, name = _mirror(), model or get_settings().LOG_MODEL_NAME
    try:
        folder, manifest = store.local.open(name, version)
        commit = store.remote.publish(folder, manifest)
    except (ModelNotFoundError, RemoteUnavailableError, VersionExistsError) as exc:
        raise _fail(exc) from exc
    typer.echo(f"published {name} {manifest.version} -> {store.remote.endpoint}/"
               f"{store.remote.repo_id(name)} (tag {manifest.version}, commit {commit[:12]})")


def list_versions_cmd(model: ModelOption = None) -> None:
    """List local and Hub versions of a model, with their metrics and the Hub's status."""
    from backend.registry.mirror import MirroredModelStore, build_store

    settings = get_settings()
    name = model or settings.LOG_MODEL_NAME
    store = build_store(settings)
    local = store.versions(name)
    typer.echo(f"{name} (pinned: {settings.LOG_MODEL_VERSION})")
    for version in local:
        metrics = store.manifest(name, version).metrics
        shown = ", ".join(f"{k} {metrics[k]}" for k in ("accuracy", "macro_f1") if k in metrics)
        typer.echo(f"  local {version}  {shown}")
    if not local:
        typer.echo("  local: none")
    if isinstance(store, MirroredModelStore):
        remote, status = store.remote_versions(name)
        typer.echo(f"  hub {store.remote.repo_id(name)}: {status}; versions: "
                   f"{', '.join(remote) if remote else 'none'}")


def pull_cmd(
    version: Annotated[str, typer.Option(help="Hub version tag or 'latest'")] = "latest",
    model: ModelOption = None,
    allow_moved_tag: Annotated[bool, typer.Option(
        help="accept a tag that now points at another commit than the one pulled before "
             "(replaces the local copy)")] = False,
) -> None:
    """Download a Hub version, verify every sha256 and install it into the local registry."""
    store, name = _mirror(), model or get_settings().LOG_MODEL_NAME
    try:
        manifest = store.pull(name, version, allow_moved_tag=allow_moved_tag)
    except Exception as exc:  # integrity, not found, unreachable: all reported, exit 1
        raise _fail(exc) from exc
    typer.echo(f"pulled {name} {manifest.version} into {store.local.path(name, manifest.version)}"
               f" ({len(manifest.files)} files verified)")
