"""Slot fillers for the synthetic log generator: word lists and value makers.

Templates in ``training.logs.templates`` name slots such as ``{ip}`` or
``{job_name}``; this module says how each slot is filled. ``VALUE_SLOTS`` draw
from the generator's ``random.Random``; ``LINKED_SLOTS`` draw one row of a
table so related values agree (an API and its URL); ``TIME_SLOTS`` and
``DATED_SLOTS`` derive from the row's timestamp so embedded times agree with it.
Keeping the vocabulary here lets ``generator.py`` stay about sampling only; the word
lists and value ranges are data (``data/vocab.yaml``, validated at load), the slots
that need code are below.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Slot = Callable[[random.Random], str]


# --------------------------------------------------------------------------- helpers

def _pick(*options: object) -> Slot:
    values = tuple(str(option) for option in options)
    return lambda rng: rng.choice(values)


def _weighted(weights: Mapping[Any, float]) -> Slot:
    values = [str(key) for key in weights]
    relative = list(weights.values())
    return lambda rng: rng.choices(values, weights=relative)[0]


def _int(lo: int, hi: int, fmt: str = "{}") -> Slot:
    return lambda rng: fmt.format(rng.randint(lo, hi))


def _float(lo: float, hi: float, digits: int = 1) -> Slot:
    return lambda rng: f"{rng.uniform(lo, hi):.{digits}f}"


def _hex(digits: int, upper: bool = False) -> Slot:
    spec = f"0{digits}{'X' if upper else 'x'}"
    return lambda rng: format(rng.getrandbits(4 * digits), spec)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _public_ip(rng: random.Random) -> str:
    first = rng.choice([23, 31, 45, 46, 62, 77, 81, 89, 91, 103, 109, 118, 141, 146,
                        159, 178, 185, 193, 194, 203, 212, 213, 217, 222])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _internal_ip(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        return f"10.{rng.randint(0, 40)}.{rng.randint(0, 30)}.{rng.randint(1, 254)}"
    if kind < 0.85:
        return f"192.168.{rng.randint(0, 20)}.{rng.randint(1, 254)}"
    return f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


_HOST_ROLES = ("web", "app", "api", "db", "worker", "cache", "kafka", "es", "batch", "etl")
_HOST_ENVS = ("prod", "stg", "eu-west-1", "us-east-1", "dc2")


def _hostname_short(rng: random.Random) -> str:
    return f"{rng.choice(_HOST_ROLES)}-{rng.randint(1, 24):02d}"


def _hostname(rng: random.Random) -> str:
    return f"{_hostname_short(rng)}.{rng.choice(_HOST_ENVS)}.internal"


def _node(rng: random.Random) -> str:
    rack = rng.choice("abcdef")
    return f"cmp-{rack}{rng.randint(1, 40):02d}.{rng.choice(('dc1', 'dc2', 'lab'))}.openstack.local"


_FIRST = ("james", "maria", "wei", "priya", "olivia", "ahmed", "sofia", "lucas", "emma",
          "kenji", "fatima", "noah", "chloe", "diego", "anna", "omar", "grace", "ivan")
_LAST = ("smith", "garcia", "chen", "patel", "johnson", "khan", "rossi", "müller", "brown",
         "tanaka", "okafor", "nguyen", "silva", "novak", "kowalski", "murphy")
_EMAIL_DOMAINS = ("acme-corp.com", "northwind.io", "globex.net", "contoso.com",
                  "initech.co", "gmail.com", "outlook.com")


def _user_login(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    style = rng.randint(0, 3)
    if style == 0:
        return f"{first[0]}{last}"
    if style == 1:
        return f"{first}.{last}"
    if style == 2:
        return f"{first}{rng.randint(1, 99)}"
    return rng.choice(("svc_reporting", "svc-sync", "admin", "integration_user", "ops-bot"))


def _email(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{rng.choice(_EMAIL_DOMAINS)}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST).title()} {rng.choice(_LAST).title()}"


def _actor(rng: random.Random) -> str:
    """The person behind a user action, written the ways applications name people."""
    style = rng.randint(0, 4)
    if style == 0:
        return _person(rng)
    if style == 1:
        return f"user {_user_login(rng)}"
    if style == 2:
        return _email(rng)
    if style == 3:
        return f"{rng.choice(('Employee', 'Agent', 'Admin'))} {_person(rng)}"
    return f"{rng.choice(('Customer', 'User'))} {rng.randint(1000, 99999)}"


_PATH_PATTERNS = (
    "/api/v1/orders/{id}", "/api/v1/orders?status=open&page={small}",
    "/api/v2/customers/{id}", "/api/v2/customers/{id}/invoices", "/v1/payments/{id}/capture",
    "/employees/{id}/payslips", "/login", "/logout", "/health", "/graphql",
    "/static/js/app.{hex}.js", "/api/v1/reports/{id}/export?format=csv", "/oauth/token",
    "/api/v1/leads/search?q=acme&limit={small}0", "/favicon.ico", "/admin/settings",
    "/api/v3/analytics/events", "/webhooks/inbound/{hex}", "/api/v1/users/{id}/avatar",
    "/billing/invoices/INV-{id}.pdf", "/api/hr/v1/timesheets?week={small}",
    "/api/v1/contacts/{id}/notes", "/images/products/{id}.jpg", "/api/v1/subscriptions/{id}",
)


def _http_path(rng: random.Random) -> str:
    pattern = rng.choice(_PATH_PATTERNS)
    return pattern.format(id=rng.randint(1, 99999), small=rng.randint(1, 9),
                          hex=format(rng.getrandbits(32), "08x"))


_STATUS_WEIGHTS = {200: 40, 201: 6, 204: 4, 301: 2, 302: 3, 304: 4, 400: 5, 401: 4, 403: 3,
                   404: 8, 409: 2, 422: 2, 429: 2, 500: 5, 502: 3, 503: 4, 504: 3}
_STATUS_PHRASES = {
    200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
    304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}
_status = _weighted(_STATUS_WEIGHTS)


def _status_phrase(rng: random.Random) -> str:
    code = int(_status(rng))
    return f"{code} {_STATUS_PHRASES[code]}"


def _status_in(lo: int) -> Slot:
    return _weighted({code: w for code, w in _STATUS_WEIGHTS.items() if lo <= code < lo + 100})


def _duration_human(rng: random.Random) -> str:
    seconds = rng.randint(3, 7200)
    if seconds < 60:
        return f"{seconds}.{rng.randint(0, 9)}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _future_date(rng: random.Random, when: datetime) -> str:
    """A deadline 1-18 months after the log line was written."""
    return f"{when + timedelta(days=rng.randint(30, 540)):%Y-%m-%d}"


def _future_month(rng: random.Random, when: datetime) -> str:
    day = when + timedelta(days=rng.randint(30, 540))
    return f"{_MONTHS[day.month - 1]} {day.year}"


def _version(rng: random.Random) -> str:
    return f"{rng.randint(1, 6)}.{rng.randint(0, 12)}.{rng.randint(0, 20)}"


def _file_name(rng: random.Random) -> str:
    stem = rng.choice(("report", "invoice", "contacts", "payroll", "export", "data",
                       "resume", "scan", "leads", "timesheet", "statement"))
    ext = rng.choice(("csv", "xlsx", "pdf", "docx", "json", "zip", "png"))
    return f"{stem}_{rng.randint(1, 9999)}.{ext}"


def _api_key(rng: random.Random) -> str:
    return f"ak_live_{format(rng.getrandbits(16), '04x')}****{format(rng.getrandbits(16), '04x')}"


def _fingerprint(rng: random.Random) -> str:
    return ":".join(format(rng.getrandbits(8), "02X") for _ in range(8))


def _container(rng: random.Random) -> str:
    app = rng.choice(("orders-api", "auth-svc", "report-builder", "payroll-worker", "crm-web"))
    suffix = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    return f"{app}-{format(rng.getrandbits(36), '09x')}-{suffix}"


def _log_path(rng: random.Random) -> str:
    return f"/var/log/{rng.choice(('app', 'nginx', 'billing', 'hr-portal'))}/" \
           f"{rng.choice(('access', 'error', 'worker', 'audit'))}.log"


_EXCEPTIONS = (
    "KeyError: 'region'", "TypeError: 'NoneType' object is not subscriptable",
    "java.lang.IllegalStateException: Connection pool shut down",
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0",
    "java.io.IOException: Broken pipe", "ValueError: time data '2025-13-01' does not match format",
    "org.hibernate.exception.ConstraintViolationException: could not execute statement",
)

# --------------------------------------------------------------------------- slot registry

# --------------------------------------------------------------------------- data slots

DATA = Path(__file__).resolve().parent / "data" / "vocab.yaml"
_KINDS = ("pick", "weighted", "int_", "float_", "hex")


class _SlotData(BaseModel):
    """One slot of data/vocab.yaml: exactly one way to draw its value."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    pick: list[str] | None = Field(default=None, min_length=1)
    weighted: dict[str, float] | None = Field(default=None, min_length=1)
    int_: tuple[int, int] | None = Field(default=None, alias="int")
    format: str = "{}"
    float_: tuple[float, float] | None = Field(default=None, alias="float")
    digits: int = Field(default=1, ge=0)
    hex: int | None = Field(default=None, gt=0)
    upper: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> _SlotData:
        given = [k.rstrip("_") for k in _KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a slot needs exactly one of pick, weighted, int, float, hex; "
                             f"got {given or 'none'}")
        return self

    def slot(self) -> Slot:
        if self.pick is not None:
            return _pick(*self.pick)
        if self.weighted is not None:
            return _weighted(dict(self.weighted))
        if self.int_ is not None:
            return _int(*self.int_, self.format)
        if self.float_ is not None:
            return _float(*self.float_, self.digits)
        assert self.hex is not None
        return _hex(self.hex, self.upper)


class _LinkedData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slots: tuple[str, ...] = Field(min_length=2)
    rows: list[tuple[str, ...]] = Field(min_length=1)

    @model_validator(mode="after")
    def _rows_fit(self) -> _LinkedData:
        bad = [row for row in self.rows if len(row) != len(self.slots)]
        if bad:
            raise ValueError(f"{self.slots}: rows need {len(self.slots)} values, got {bad[:2]}")
        return self


class _VocabData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value_slots: dict[str, _SlotData]
    linked_slots: list[_LinkedData]


@cache
def _vocab_data() -> _VocabData:
    return _VocabData.model_validate(yaml.safe_load(DATA.read_text(encoding="utf-8")))


def _load_value_slots() -> dict[str, Slot]:
    return {name: spec.slot() for name, spec in _vocab_data().value_slots.items()}


def _load_linked_slots() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    return {group.slots: tuple(group.rows) for group in _vocab_data().linked_slots}


# Slots filled by code; the word lists and ranges are in data/vocab.yaml.
_CODE_SLOTS: dict[str, Slot] = {
    "ip": _public_ip,
    "ip_internal": _internal_ip,
    "uuid": _uuid,
    "req_id": lambda rng: f"req-{_uuid(rng)}",
    "hostname": _hostname,
    "hostname_short": _hostname_short,
    "node": _node,
    "http_path": _http_path,
    "http_path_noquery": lambda rng: _http_path(rng).split("?")[0],
    "status_phrase": _status_phrase,
    "resp_len": lambda rng: str(min(int(rng.lognormvariate(7.2, 1.1)), 250_000)),
    "duration_ms": lambda rng: str(int(rng.lognormvariate(3.8, 1.1)) + 1),
    "client_id": lambda rng: f"{rng.choice(('mobile-app', 'partner', 'int', 'etl'))}-"
                             f"{rng.randint(100, 999)}",
    "thread": lambda rng: rng.choice(("http-nio-8080-exec-", "pool-3-thread-",
                                      "kafka-consumer-", "scheduling-")) + str(rng.randint(1, 40)),
    "user_login": _user_login,
    "email": _email,
    "person": _person,
    "actor": _actor,
    "used_mem_mb": lambda rng: str(512 * rng.randint(1, 40)),
    "container": _container,
    "volume_id": lambda rng: f"vol-0{format(rng.getrandbits(64), '016x')}",
    "api_key": _api_key,
    "fingerprint": _fingerprint,
    "file_name": _file_name,
    "task_id": lambda rng: f"task-{format(rng.getrandbits(32), '08x')}",
    "txn_id": lambda rng: f"txn_{format(rng.getrandbits(48), '012X')}",
    "log_path": _log_path,
    "version": _version,
    "snapshot_id": lambda rng: f"snap-{format(rng.getrandbits(48), '012x')}",
    "duration_human": _duration_human,
    "quarter": lambda rng: f"Q{rng.randint(1, 4)} {rng.choice((2025, 2026))}",
    "instance_id": lambda rng: f"i-0{format(rng.getrandbits(64), '016x')}",
    "net_io": lambda rng: f"{rng.uniform(1, 900):.1f}MB / {rng.uniform(1, 900):.1f}MB",
    "uptime": lambda rng: f"{rng.uniform(5, 8e6):.6f}",
    "pull_time": lambda rng: f"{rng.uniform(0.4, 95):.3f}s",
}

VALUE_SLOTS: dict[str, Slot] = {**_load_value_slots(), **_CODE_SLOTS}

# Slots whose values must agree with each other: one row of the table is drawn per
# message and shared by every slot of the group that the template uses.
LINKED_SLOTS: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = _load_linked_slots()

def _unix(when: datetime) -> float:
    """Seconds since 1970 for a naive UTC time, independent of the machine's time zone."""
    return (when - datetime(1970, 1, 1)).total_seconds()


# Slots derived from the row's own timestamp, so embedded times agree with it.
TIME_SLOTS: dict[str, Callable[[datetime], str]] = {
    "apache_time": lambda t: f"{t:%d}/{_MONTHS[t.month - 1]}/{t:%Y:%H:%M:%S} +0000",
    "django_time": lambda t: f"{t:%d}/{_MONTHS[t.month - 1]}/{t:%Y %H:%M:%S}",
    "haproxy_time": lambda t: f"{t:%d}/{_MONTHS[t.month - 1]}/{t:%Y:%H:%M:%S}."
                              f"{t.microsecond // 1000:03d}",
    "iso_time": lambda t: f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z",
    "gin_time": lambda t: f"{t:%Y/%m/%d - %H:%M:%S}",
    "datetime_plain": lambda t: f"{t:%Y-%m-%d %H:%M:%S}",
    "date_plain": lambda t: f"{t:%Y-%m-%d}",
    "hms": lambda t: f"{t:%H:%M:%S}",
    "datetime_slash": lambda t: f"{t:%Y/%m/%d %H:%M:%S}",
    "syslog_time": lambda t: f"{_MONTHS[t.month - 1]} {t.day:>2} {t:%H:%M:%S}",
    "epoch": lambda t: str(int(_unix(t))),
    "epoch_ms": lambda t: str(int(_unix(t) * 1000)),
    "epoch_float": lambda t: f"{_unix(t):.3f}",
    "billing_month": lambda t: f"{_MONTHS[t.month - 1]} {t.year}",
}

# Slots that need both randomness and the row's timestamp (deadlines in the future).
DATED_SLOTS: dict[str, Callable[[random.Random, datetime], str]] = {
    "future_date": _future_date,
    "month_year": _future_month,
}
