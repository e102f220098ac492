"""The ``homecoming`` command: serve, migrate, bootstrap database roles, and operator actions."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from app.config import ConfigurationError, get_settings

cli = typer.Typer(help="Homecoming: interstate handoff of rescued trafficking victims.")
db_cli = typer.Typer(help="Database schema and roles.")
agencies_cli = typer.Typer(help="Agencies.")
users_cli = typer.Typer(help="Users.")
clients_cli = typer.Typer(help="Machine clients.")
cli.add_typer(db_cli, name="db")
cli.add_typer(agencies_cli, name="agencies")
cli.add_typer(users_cli, name="users")
cli.add_typer(clients_cli, name="clients")

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def _print_json(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _run(make: Callable[[Any], Awaitable[T]]) -> T:
    """Build a runtime, run one coroutine with it, and turn known failures into a clean exit."""
    from app.admin import AdminError
    from app.errors import Problem
    from app.runtime import build_runtime

    async def main() -> T:
        runtime = build_runtime(get_settings())
        try:
            return await make(runtime)
        finally:
            await runtime.db.dispose()

    try:
        return asyncio.run(main())
    except (AdminError, ConfigurationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except Problem as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the API with uvicorn (one process; put several behind a proxy to scale)."""
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, log_config=None)


def alembic_config(url: str | None = None) -> Any:
    """The Alembic configuration: beside the source tree, or (an installed package, as in the
    container image) in the working directory."""
    from alembic.config import Config

    base = ROOT if (ROOT / "alembic.ini").exists() else Path.cwd()
    config = Config(str(base / "alembic.ini"))
    config.set_main_option("script_location", str(base / "migrations"))
    if url is not None:
        config.attributes["database_url"] = url
    return config


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations (as the schema owner: HOMECOMING_MIGRATION_DATABASE_URL)."""
    from alembic import command

    settings = get_settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(), revision)


@db_cli.command("bootstrap")
def db_bootstrap(
    admin_url: Annotated[
        str,
        typer.Option(
            envvar="HOMECOMING_BOOTSTRAP_DATABASE_URL",
            help="A PostgreSQL superuser's URL (postgresql://...).",
        ),
    ],
) -> None:
    """Create the PostgreSQL roles and database once: the owner (from the migration URL), the API's
    login role (from the database URL) and the group role the migrations grant to."""
    from app.bootstrap import bootstrap_postgres

    settings = get_settings()
    try:
        summary = asyncio.run(bootstrap_postgres(settings, admin_url))
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _print_json(summary)


@agencies_cli.command("create")
def agencies_create(
    name: Annotated[str, typer.Option()],
    type: Annotated[str, typer.Option(help="Agency type, e.g. ngo, cwc, platform.")],
    state: Annotated[str | None, typer.Option(help="ISO 3166-2:IN code.")] = None,
    district: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an agency (the platform agency first, to hold the system administrator)."""
    from app import admin
    from app.agencies.schemas import AgencyRead
    from app.auth.permissions import AgencyType

    try:
        agency_type = AgencyType(type)
    except ValueError as exc:
        typer.echo(f"error: unknown agency type {type!r}", err=True)
        raise typer.Exit(2) from exc

    async def make(runtime: Any) -> dict[str, Any]:
        async with runtime.db.transaction() as session:
            agency = await admin.create_agency(session, name, agency_type, state, district)
            return AgencyRead.model_validate(agency).model_dump(mode="json")

    try:
        _print_json(_run(make))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@users_cli.command("create")
def users_create(
    agency: Annotated[str, typer.Option(help="Agency id.")],
    username: Annotated[str, typer.Option()],
    role: Annotated[list[str], typer.Option(help="Role; repeat for several.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with a password (bootstrapping and tests; people normally get a one-time code)."""
    import uuid

    from app import admin
    from app.auth.permissions import Role

    if not password_stdin:
        typer.echo("error: pass --password-stdin and the password on standard input", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    try:
        roles = [Role(r) for r in role]
        agency_id = uuid.UUID(agency)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def make(runtime: Any) -> dict[str, Any]:
        async with runtime.db.transaction() as session:
            user = await admin.create_user(session, runtime, agency_id, username, roles, password)
            return {
                "id": str(user.id),
                "agency_id": str(user.agency_id),
                "username": user.username,
                "roles": sorted(r.value for r in roles),
            }

    _print_json(_run(make))


@clients_cli.command("create")
def clients_create(
    agency: Annotated[str, typer.Option(help="Agency id.")],
    scopes: Annotated[str, typer.Option(help="Space-separated permission names.")],
    name: Annotated[str, typer.Option()] = "integration",
) -> None:
    """Create a machine client; its secret is printed once."""
    import uuid

    from app import admin
    from app.clients.schemas import ClientRead

    async def make(runtime: Any) -> dict[str, Any]:
        async with runtime.db.transaction() as session:
            client, secret = await admin.create_client(
                session, runtime, uuid.UUID(agency), name, scopes.split()
            )
            body = ClientRead.model_validate(client).model_dump(mode="json")
            body["client_secret"] = secret
            return body

    _print_json(_run(make))


keys_cli = typer.Typer(help="Key rotation for the identity vault.")
cli.add_typer(keys_cli, name="keys")


@keys_cli.command("rotate")
def keys_rotate(
    blind_index: Annotated[
        bool, typer.Option("--blind-index", help="Recompute the search indexes instead.")
    ] = False,
) -> None:
    """Re-encrypt every identity value under the active vault key (or, with --blind-index,
    recompute every blind index under the active blind-index key). Run after adding a new key
    to the keyring; then the old key can be removed. Case versions do not change."""
    from app.vault import rotation

    async def make(runtime: Any) -> dict[str, Any]:
        if blind_index:
            return await rotation.rotate_blind_indexes(runtime)
        return await rotation.rotate_vault(runtime)

    _print_json(_run(make))


audit_cli = typer.Typer(help="The tamper-evident log.")
cli.add_typer(audit_cli, name="audit")


@cli.command()
def sequencer(
    once: Annotated[bool, typer.Option("--once", help="Sequence what waits, then stop.")] = False,
) -> None:
    """Run the log's sequencer outside the API process (set
    HOMECOMING_SEQUENCER_INTERVAL_SECONDS=0 for the API then). Several may run; one works at a
    time."""
    from app.ledger import worker

    async def make(runtime: Any) -> dict[str, Any]:
        if once:
            done = await worker.sequence_pending(runtime)
            signed = await worker.checkpoint_if_due(runtime)
            return {"sequenced": done, "checkpoint_signed": signed}
        await worker.run_sequencer(runtime, runtime.settings.sequencer_interval_seconds or 1.0)
        return {}

    _print_json(_run(make))


@audit_cli.command("public-key")
def audit_public_key() -> None:
    """Print the public key that verifies the log's checkpoints (PEM), to publish out of band;
    its fingerprint is what checkpoints name."""
    from app.ledger.signing import public_key_pem

    async def make(runtime: Any) -> str:
        signer = runtime.log_signer
        return public_key_pem(signer.public_key) + f"# fingerprint sha256:{signer.fingerprint}"

    typer.echo(_run(make))


@audit_cli.command("verify")
def audit_verify(
    export: Annotated[Path, typer.Argument(help="The export (NDJSON) to check.", exists=True)],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="The log's public key (PEM).", exists=True)
    ],
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A checkpoint kept from before (JSON).", exists=True),
    ] = None,
) -> None:
    """Check an export offline: every event against its leaf hash, the tree against the signed
    checkpoint, and, with --checkpoint, that the log extends the one you kept. Prints the
    outcome as JSON (naming the first bad position) and exits 1 if anything fails."""
    import orjson

    from app.ledger.verify import Failed, load_public_key, verify_export

    try:
        key = load_public_key(public_key.read_bytes())
        earlier = orjson.loads(checkpoint.read_bytes()) if checkpoint is not None else None
    except (Failed, ValueError) as exc:
        typer.echo(json.dumps({"ok": False, "message": str(exc), "first_bad_seq": None}))
        raise typer.Exit(2) from exc
    with export.open("rb") as lines:
        outcome = verify_export(lines, key, earlier)
    typer.echo(json.dumps(outcome.as_dict(), indent=2))
    if not outcome.ok:
        raise typer.Exit(1)


@cli.command()
def demo() -> None:
    """Seed the fictional demo data set once, and print its credentials."""
    from app import demo as demo_data

    async def make(runtime: Any) -> str:
        seeded = await demo_data.seed(runtime)
        prefix = "Seeded the demo data set.\n" if seeded else ""
        return prefix + demo_data.credentials_text(runtime)

    typer.echo(_run(make))


def main() -> None:
    cli()
