"""Everything a process builds once from its settings: database, secrets, token and password services.

The API keeps one on ``app.state.runtime``; the CLI builds its own. ``clock`` is injectable so tests can
move time (refresh grace windows, lockouts, expiries) without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.audit.access_log import AccessLogBuffer
from app.audit.events import configure_event_hasher
from app.auth.passwords import Passwords
from app.auth.tokens import TokenService
from app.config import Secrets, Settings, resolve_secrets
from app.db import Database, utcnow
from app.documents.storage import DocumentStorage, LocalDirectoryStorage
from app.ledger.signing import LogSigner
from app.ops.addresses import Network, parse_networks
from app.vault.crypto import BlindIndexer, Cipher


@dataclass
class Runtime:
    settings: Settings
    secrets: Secrets
    db: Database
    passwords: Passwords
    clock: Callable[[], datetime] = field(default=utcnow)
    tokens: TokenService = field(init=False)

    trusted_proxies: list[Network] = field(init=False)
    access_log: AccessLogBuffer = field(init=False)
    cipher: Cipher = field(init=False)
    blind_index: BlindIndexer = field(init=False)
    documents: DocumentStorage = field(init=False)
    log_signer: LogSigner = field(init=False)

    def __post_init__(self) -> None:
        # The token service reads the runtime's clock, which tests may replace.
        self.tokens = TokenService(self.settings, self.secrets.token_signing_key, self.now)
        self.trusted_proxies = parse_networks(self.settings.trusted_proxies)
        self.access_log = AccessLogBuffer(self.db)
        self.cipher = Cipher(self.secrets.vault_keys, self.secrets.vault_active_key)
        self.blind_index = BlindIndexer(
            self.secrets.blind_index_keys, self.secrets.blind_index_active_key
        )
        self.documents = LocalDirectoryStorage(self.settings.effective_document_dir)
        self.log_signer = LogSigner.from_secret(self.secrets.log_signing_key)

    def now(self) -> datetime:
        return self.clock()


def build_runtime(settings: Settings, database_url: str | None = None) -> Runtime:
    secrets = resolve_secrets(settings)
    configure_event_hasher(secrets.event_hash_key)
    return Runtime(
        settings=settings,
        secrets=secrets,
        db=Database(database_url or settings.effective_database_url),
        passwords=Passwords(settings),
    )
