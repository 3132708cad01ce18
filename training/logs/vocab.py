"""Slot fillers for the synthetic log generator: word lists and value makers.

Templates in ``training.logs.templates`` name slots such as ``{ip}`` or
``{job_name}``; this module says how each slot is filled. ``VALUE_SLOTS`` draw
from the generator's ``random.Random``; ``LINKED_SLOTS`` draw one row of a
table so related values agree (an API and its URL); ``TIME_SLOTS`` and
``DATED_SLOTS`` derive from the row's timestamp so embedded times agree with it.
Keeping the vocabulary here lets ``generator.py`` stay about sampling only.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

Slot = Callable[[random.Random], str]


# --------------------------------------------------------------------------- helpers

def _pick(*options: object) -> Slot:
    values = tuple(str(option) for option in options)
    return lambda rng: rng.choice(values)


def _weighted(weights: dict[object, float]) -> Slot:
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

VALUE_SLOTS: dict[str, Slot] = {
    # network / identifiers
    "ip": _public_ip,
    "ip_internal": _internal_ip,
    "port": _int(1024, 65535),
    "service_port": _pick(80, 443, 3000, 5000, 8000, 8080, 8443, 9000),
    "sensitive_port": _pick(22, 23, 445, 1433, 3306, 3389, 5432, 6379, 9200, 27017),
    "uuid": _uuid,
    "req_id": lambda rng: f"req-{_uuid(rng)}",
    "req_short": _hex(8),
    "hex16": _hex(16),
    "hex32": _hex(32),
    "tenant": _hex(32),
    "hostname": _hostname,
    "hostname_short": _hostname_short,
    "node": _node,
    "domain": _pick("crm.acme-corp.com", "api.northwind.io", "hr.globex.net",
                    "billing.contoso.com", "app.initech.co", "analytics.acme-corp.com"),
    "iface": _pick("eth0", "ens5", "bond0", "enp3s0"),
    "az": _pick("eu-west-1b", "us-east-1a", "ap-southeast-2c", "dc2-zone-b"),
    "pid": _int(300, 65000),
    "small_n": _int(2, 9),
    "lineno": _int(12, 980),
    "record_count": _int(50, 90000),
    "seconds": _int(2, 600),
    "minutes": _int(1, 59),
    "days": _int(7, 89),
    # http
    "method": _weighted({"GET": 60, "POST": 20, "PUT": 7, "DELETE": 5, "PATCH": 5, "HEAD": 3}),
    "method_lower": _weighted({"get": 60, "post": 25, "put": 8, "delete": 7}),
    "http_path": _http_path,
    "http_path_noquery": lambda rng: _http_path(rng).split("?")[0],
    "redirect_path": _pick("/login?next=%2Fdashboard", "/v2/", "/home", "/sso/callback"),
    "status": _status,
    "status_3xx": _status_in(300),
    "status_4xx": _status_in(400),
    "status_5xx": _status_in(500),
    "status_phrase": _status_phrase,
    "resp_len": lambda rng: str(min(int(rng.lognormvariate(7.2, 1.1)), 250_000)),
    "req_bytes": _int(120, 4000),
    "resp_time": _float(0.004, 2.5, 7),
    "resp_time_short": _float(0.001, 2.5, 3),
    "duration_ms": lambda rng: str(int(rng.lognormvariate(3.8, 1.1)) + 1),
    "duration_human_ms": _float(0.2, 950.0, 6),
    "user_agent": _pick(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 "
        "Safari/605.1.15",
        "curl/8.5.0", "python-requests/2.32.3", "okhttp/4.12.0", "Go-http-client/1.1",
        "kube-probe/1.29", "PostmanRuntime/7.37.0"),
    "referer": _pick("-", "https://crm.acme-corp.com/dashboard", "https://www.google.com/",
                     "https://app.initech.co/reports"),
    "metadata_path": _pick("/openstack/2013-10-17/meta_data.json", "/latest/meta-data/",
                           "/openstack/2013-10-17/vendor_data.json", "/latest/user-data",
                           "/latest/meta-data/instance-id", "/openstack/latest/network_data.json"),
    "client_id": lambda rng: f"{rng.choice(('mobile-app', 'partner', 'int', 'etl'))}-"
                             f"{rng.randint(100, 999)}",
    "api_error_code": _pick("invalid_request", "not_found", "validation_failed",
                            "unauthenticated", "conflict"),
    "lb_name": _pick("prod-web-alb", "api-public", "crm-ingress"),
    "thread": lambda rng: rng.choice(("http-nio-8080-exec-", "pool-3-thread-",
                                      "kafka-consumer-", "scheduling-")) + str(rng.randint(1, 40)),
    "service": _pick("order-service", "auth-service", "payment-service", "notification-svc",
                     "inventory-api", "billing-worker", "report-builder", "search-indexer",
                     "user-profile", "payroll-engine", "etl-scheduler", "crm-sync",
                     "invoice-renderer", "api-gateway"),
    # users
    "user_tag": _int(1, 999, "User{}"),
    "user_login": _user_login,
    "user_id": _int(1000, 99999),
    "email": _email,
    "person": _person,
    "actor": _actor,
    # outcome wording, so a label is not tied to one verb
    "done": _pick("completed", "finished", "succeeded", "completed successfully"),
    "failed": _pick("failed", "errored", "did not succeed"),
    "unix_user": _pick("root", "ubuntu", "deploy", "admin", "postgres", "jenkins", "ec2-user"),
    "shell_user": _pick("deploy", "ubuntu", "jenkins", "www-data", "intern", "backup"),
    "bad_user": _pick("admin", "test", "oracle", "guest", "ftpuser", "pi", "support",
                      "user1", "ubnt", "mysql", "nagios", "hadoop"),
    "role": _pick("viewer", "support_agent", "contractor", "analyst", "intern"),
    "client_app": _pick("web", "ios-4.2.1", "android-4.1.0", "desktop-2.8"),
    "idp": _pick("Okta", "Azure AD", "Google Workspace", "OneLogin"),
    "profile_fields": _pick("phone,title", "display_name", "address,timezone", "avatar",
                            "language"),
    "plan": _pick("free", "starter", "pro", "enterprise"),
    "saved_view": _pick("Open deals > 50k", "My renewals this quarter", "Stalled leads",
                        "EMEA pipeline"),
    "dashboard": _pick("Weekly Revenue", "Funnel Overview", "Ops KPIs", "Retention"),
    "size_kb": _int(20, 900),
    "week": _int(1, 52, "2025-W{:02d}"),
    "phone": _int(100, 9999, "+1-202-555-{:04d}"),
    # resources
    "host_mem_mb": _pick(32768, 64172, 96258, 128838, 257843),
    "used_mem_mb": lambda rng: str(512 * rng.randint(1, 40)),
    "mem_limit_mb": _pick(96258, 144387, 193044, 386765),
    "mem_free_mb": _int(30000, 95000),
    "host_disk_gb": _pick(15, 20, 40, 80, 160, 500),
    "used_disk_gb": _int(0, 14),
    "host_vcpus": _pick(8, 16, 24, 32, 48),
    "used_vcpus": _int(0, 7),
    "flavor_mem_mb": _pick(512, 1024, 2048, 4096, 8192),
    "flavor_disk_gb": _pick(1, 10, 20, 40, 80),
    "flavor_vcpus": _pick(1, 2, 4, 8),
    "pct": _float(4, 96),
    "pct_high": _float(85, 99.8),
    "threshold": _pick(75, 80, 85, 90),
    "mem_used_gb": _float(1, 30),
    "mem_total_gb": _pick(32, 64, 128),
    "mem_used_mb": _int(128, 3900),
    "mem_max_mb": _pick(4096, 8192, 16384),
    "mount": _pick("/", "/var", "/data", "/var/lib/postgresql", "/mnt/scratch", "/opt"),
    "disk_free_gb": _float(0.4, 40),
    "pool_total": _pick(10, 20, 32, 50),
    "pool_active": _int(0, 10),
    "pool_idle": _int(0, 10),
    "pool_waiting": _int(0, 40),
    "conn_max": _pick(100, 200, 500),
    "queue": _pick("email.outbound", "invoice.render", "orders.created", "etl.jobs",
                   "payroll.batch", "crm.sync", "webhooks.retry"),
    "queue_depth": _int(500, 50000),
    "queue_limit": _pick(1000, 5000, 10000),
    "load": _float(0.5, 32, 2),
    "container": _container,
    "millicores": _int(100, 1900),
    "millicores_limit": _pick(2000, 4000),
    "cores": _int(1, 16),
    "pool_name": _pick("http-workers", "report-exec", "async-io", "db-writer"),
    "threads_max": _pick(200, 256, 512),
    "mbps": _int(100, 9500),
    "bucket": _pick("acme-prod-exports", "analytics-raw-events", "billing-archive",
                    "hr-documents"),
    "storage_tb": _float(0.5, 120),
    "volume_id": lambda rng: f"vol-0{format(rng.getrandbits(64), '016x')}",
    "iops": _int(500, 2900),
    "iops_limit": _pick(3000, 6000, 10000),
    "table": _pick("orders", "invoices", "customers", "employees", "payments", "events",
                   "leads", "ledger_entries"),
    "db": _pick("crm_prod", "billing", "hr_core", "analytics_dw", "orders", "payroll"),
    # security
    "attempts": _int(5, 250),
    "fail_count": _int(3, 15),
    "admin_group": _pick("Domain Admins", "wheel", "sudo", "billing-admins", "org-owners"),
    "command": _pick("/bin/bash", "/usr/bin/cat /etc/shadow", "/usr/sbin/useradd -o -u 0 sys",
                     "/bin/su -", "/usr/bin/passwd root"),
    "geo": _pick("Lagos, NG", "São Paulo, BR", "Moscow, RU", "Hanoi, VN", "Bucharest, RO",
                 "Shenzhen, CN", "Frankfurt, DE", "Toronto, CA", "Austin, US", "Mumbai, IN"),
    "jail": _pick("sshd", "nginx-http-auth", "postfix-sasl", "recidive"),
    "api_key": _api_key,
    "fingerprint": _fingerprint,
    "bad_ca": _pick("Fake Root CA", "DO_NOT_TRUST Proxy Root", "localhost", "Unknown Issuer Ltd"),
    "waf_rule": _pick(942100, 942190, 942260, 942440),
    "param": _pick("id", "q", "sort", "user", "email", "order_by"),
    "traversal_path": _pick("/../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fshadow",
                            "/download?file=../../../../windows/win.ini",
                            "/cgi-bin/.%2e/.%2e/.%2e/bin/sh"),
    "sid": _int(2010935, 2039999),
    "sensitive_resource": _pick("payroll records", "customer PII export", "/admin/users",
                                "salary table", "card vault", "audit log"),
    "malware": _pick("Trojan.GenericKD.4821", "EICAR-Test-File", "W97M.Downloader",
                     "JS:Miner-C"),
    "jwt_alg": _pick("none", "HS256", "RS256"),
    "file_name": _file_name,
    # critical
    "raid": _pick("md0", "md1", "/dev/md127", "VD0 (RAID5)", "array A"),
    "panic_reason": _pick("Attempted to kill init! exitcode=0x00000009",
                          "VFS: Unable to mount root fs on unknown-block(0,0)",
                          "Fatal exception in interrupt", "Fatal machine check",
                          "Out of memory and no killable processes"),
    "proc_name": _pick("java", "postgres", "python3", "node", "mysqld", "elasticsearch"),
    "kb": _int(1_000_000, 32_000_000),
    "db_cluster": _pick("pg-main-prod", "mysql-billing-01", "mongo-rs0", "crm-db-cluster",
                        "cassandra-analytics"),
    "mysql_errno": _pick(1236, 1062, 1032, 2003),
    "psu": _pick("PSU1", "PSU2", "PS-A"),
    "fatal_exit": _pick(134, 137, 139, 255),
    "disk_dev": _pick("sda", "sdb", "sdc", "nvme0n1", "xvdf", "vdb"),
    "sector": _int(10_000, 1_900_000_000),
    "controller": _pick("PERC H740P", "Smart Array P440ar", "MegaRAID 9361-8i", "HBA 0"),
    "dimm": _pick("DIMM_A1", "DIMM_B2", "CPU1_DIMM_C1"),
    "wal_segment": _hex(24, upper=True),
    "index": _pick("events-2025.03", "logs-app-000123", "orders_v2", "sessions"),
    "sensor": _pick("CPU1 Temp", "Inlet Temp", "System Board 1"),
    "temp_c": _int(95, 118),
    # errors
    "order_id": _int(1000, 99999),
    "timeout_ms": _pick(3000, 5000, 10000, 15000, 30000, 60000),
    "task_id": lambda rng: f"task-{format(rng.getrandbits(32), '08x')}",
    "field_name": _pick("customer_id", "email", "amount", "start_date", "currency",
                        "employee_number", "sku", "tax_code", "phone"),
    "component": _pick("billing", "orders", "payroll", "crm", "reports", "ingest", "accounts"),
    "msg_id": _int(100000, 999999, "msg-{}"),
    "validation_msg": _pick("must not be blank", "expected ISO 8601 date, got '31/13/2025'",
                            "value exceeds maximum length of 255", "must be a positive number",
                            "unknown currency code 'XYZ'", "not a valid email address"),
    "smtp_error": _pick("550 5.1.1 mailbox unavailable",
                        "421 4.7.0 Try again later, closing connection",
                        "554 5.7.1 Message rejected", "452 4.2.2 Mailbox full"),
    "txn_id": lambda rng: f"txn_{format(rng.getrandbits(48), '012X')}",
    "gateway_code": _pick("PG-5001", "E102", "do_not_honor", "05", "91", "R-2041"),
    "job_name": _pick("nightly-etl", "invoice-batch", "payroll-sync", "lead-scoring",
                      "report-refresh", "gl-export", "index-compaction"),
    "run_id": _int(1000, 99999),
    "exit_code": _pick(1, 2, 3, 64, 70, 78, 126, 127),
    "retries": _pick(3, 5, 10),
    "operation": _pick("invoice sync", "order status update", "token refresh",
                       "webhook delivery", "address lookup"),
    "short_error": _pick("broker connection lost", "message too large", "channel closed",
                         "timeout waiting for ack"),
    "bad_value": _pick("N/A", "12a", "1,200", "null", "two"),
    "task_name": _pick("billing.tasks.generate_invoice", "crm.tasks.sync_contacts",
                       "reports.tasks.build_pdf", "hr.tasks.send_reminder"),
    "report_id": _int(100, 9999, "RPT-{}"),
    "batch_id": _int(1, 99999),
    "exception": _pick("NullPointerException", "KeyError", "TimeoutError",
                       "IllegalArgumentException", "JSONDecodeError", "AttributeError"),
    "exception_detail": _pick(*_EXCEPTIONS),
    "event_type": _pick("invoice.paid", "customer.updated", "employee.hired", "order.shipped",
                        "subscription.cancelled"),
    "topic": _pick("orders", "crm.contacts.v1", "billing-events", "clickstream"),
    "offset": _int(10_000, 99_000_000),
    "log_path": _log_path,
    "func": _pick("calculate_totals", "parse_row", "build_payload", "resolve_owner",
                  "GetActivePlan"),
    "bad_tz": _pick("PST8", "Europe/Berln", "GMT+25", "EST5EDT6"),
    "record_id": _int(1000, 999999),
    # notifications
    "version": _version,
    "cache_name": _pick("product catalogue", "session store", "CDN edge", "query results",
                        "permissions"),
    "snapshot_id": lambda rng: f"snap-{format(rng.getrandbits(48), '012x')}",
    "size_gb": _float(0.5, 900),
    "duration_human": _duration_human,
    "unit_description": _pick("Daily Cleanup of Temporary Directories", "Rotate log files",
                              "PostgreSQL database server", "Certbot renewal timer",
                              "Daily apt download activities", "Backup of /var/lib/app"),
    "log_dir": _pick("/var/log/archive", "s3://logs-archive/app/", "/mnt/backup/logs"),
    "rev": _hex(7),
    "offset_ms": _float(0.001, 4.5, 3),
    # legacy CRM workflows
    "account_id": _int(1000, 99999),
    "report_name": _pick("Q3_Sales_Summary", "Headcount_by_Dept", "AR_Aging", "Churn_Cohorts",
                         "Pipeline_Forecast"),
    "invoice_id": _int(1, 99999, "INV-2025-{:05d}"),
    "ticket_id": _int(1000, 9999),
    "prospect_id": _int(1000, 9999),
    "quote_id": _int(10000, 99999, "Q-{}"),
    "pct_discount": _pick(15, 20, 25, 30, 40, 50),
    "workflow_name": _pick("Order Approval", "Case Auto-Close", "Lead Qualification",
                           "Contract Renewal", "Onboarding Checklist"),
    "step_name": _pick("Manager Review", "Credit Check", "Assign Owner", "Send Welcome Kit"),
    "crm_field": _pick("BillingCountry", "Primary_Contact__c", "Region", "Industry",
                       "TaxExemptId", "CustomerTier"),
    "opp_id": _int(10000, 99999),
    "territory": _pick("EMEA-North", "APAC-2", "US-West-Enterprise", "LATAM-SMB"),
    "contract_id": _int(1000, 9999, "CTR-{}"),
    "warehouse": _pick("WH-07 Rotterdam", "DAL-02", "WH-Leeds"),
    "calendar": _pick("EMEA Support Hours", "Default 24x5", "APAC Business Days"),
    "rep_id": _int(100, 999),
    "quarter": lambda rng: f"Q{rng.randint(1, 4)} {rng.choice((2025, 2026))}",
    "campaign_id": _int(100, 9999, "CMP-{}"),
    "refund_id": _int(1000, 99999, "RF-{}"),
    "rule_name": _pick("West Coast Leads", "Partner Referrals", "Web-to-Lead Default",
                       "Enterprise Inbound"),
    "pricebook": _pick("Standard 2023", "Partner Pricing EU", "Legacy Distributors"),
    "contact_id": _int(10000, 99999),
    "crm_queue": _pick("Tier 2 Billing", "Escalations - Legacy", "Renewals Desk"),
    # format families added for cross-format coverage
    "duration_ns": _int(100_000, 900_000_000),
    "namespace": _pick("default", "prod", "billing", "crm", "platform", "hr"),
    "instance_id": lambda rng: f"i-0{format(rng.getrandbits(64), '016x')}",
    "hex8": _hex(8),
    "hex10": _hex(10, upper=True),
    "tenant_name": _pick("acme-corp", "northwind", "globex", "initech", "umbrella"),
    "quota": _pick(100_000, 250_000, 1_000_000, 5_000_000),
    "fds": _int(200, 60000),
    "fds_limit": _pick(65536, 131072, 1048576),
    "goroutines": _int(12, 90000),
    "net_io": lambda rng: f"{rng.uniform(1, 900):.1f}MB / {rng.uniform(1, 900):.1f}MB",
    "uptime": lambda rng: f"{rng.uniform(5, 8e6):.6f}",
    "cc": _pick("RU", "CN", "NG", "BR", "VN", "RO", "IR", "US", "DE", "IN"),
    "attack_type": _pick("SQL injection", "cross-site scripting", "path traversal",
                         "remote file inclusion", "OS command injection"),
    "waf_rule_name": _pick("SQL injection in query string", "Log4j JNDI lookup in header",
                           "Cross-site scripting in body", "Path traversal in URI",
                           "Login brute force rate limit"),
    "falco_rule": _pick("Terminal shell in container", "Write below etc",
                        "Read sensitive file untrusted", "Launch Privileged Container"),
    "apparmor_profile": _pick("/usr/sbin/nginx", "/usr/bin/node", "docker-default",
                              "/usr/sbin/mysqld"),
    "sqli_path": _pick("/products?id=1%27%20OR%20%271%27%3D%271",
                       "/search?q=%27%3B%20DROP%20TABLE%20users--",
                       "/api/v1/users?sort=name%20UNION%20SELECT%20password%20FROM%20users",
                       "/login?user=admin%27--"),
    "xss_payload": _pick("<script>alert(document.cookie)</script>",
                         "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
                         "<svg/onload=fetch('//evil.example')>"),
    "scan_path": _pick("/wp-login.php", "/.env", "/phpmyadmin/", "/.git/config",
                       "/actuator/env", "/cgi-bin/luci"),
    "binary": _pick("ls", "ps", "sshd", "sudo", "netstat", "login"),
    "signal": _pick("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT"),
    "erl_app": _pick("rabbit", "ejabberd", "couch", "emqx"),
    "lib": _pick("libc.so.6", "libjvm.so", "libssl.so.3", "libpython3.11.so.1.0",
                 "libstdc++.so.6"),
    "md_dev": _pick("md0", "md1", "md2", "md127"),
    "minor_unit": _pick("Daily apt upgrade and clean activities", "Certbot renewal",
                        "Refresh fwupd metadata and update motd", "Rotate log files",
                        "Update the local ESM caches", "Discard unused blocks"),
    "email_domain": _pick(*_EMAIL_DOMAINS),
    "amount": _float(5, 2500, 2),
    "currency": _pick("EUR", "USD", "GBP"),
    "factor": _pick("totp", "webauthn", "sms", "push"),
    "browser": _pick("Chrome 124 on Windows", "Safari 17 on macOS", "Firefox 126 on Ubuntu",
                     "Edge 124 on Windows", "Mobile Safari on iOS 17"),
    "language": _pick("German", "Spanish", "Japanese", "French", "Portuguese"),
    "team": _pick("Sales EMEA", "Support Tier 1", "Finance Ops", "People Team", "Growth"),
    "token_name": _pick("ci-deploy", "laptop-cli", "zapier", "grafana-reader", "old-token"),
    "pull_time": lambda rng: f"{rng.uniform(0.4, 95):.3f}s",
    "partition": _pick("sda1", "sdb1", "nvme0n1p1", "vdb1", "xvdf1"),
    "security_key": _pick("YubiKey 5 NFC", "Touch ID", "Windows Hello", "Titan key"),
    "raid_members": _pick(3, 4, 5, 6),
    "cron_period": _pick("daily", "hourly", "weekly", "monthly"),
    "systemd_target": _pick("Multi-User System", "Network is Online", "Timer Units",
                            "Graphical Interface"),
    "packages": _pick("openssl libssl3", "tzdata", "curl libcurl4", "linux-image-generic",
                      "python3.11 libpython3.11-minimal"),
    # deprecations
    "major_version": _pick("4.0", "5.0", "6.0"),
    "minor_version": _pick("3.2", "3.5", "3.8", "4.1"),
    "soap_service": _pick("AccountService.asmx", "LeadSync WSDL v1", "CaseManager SOAP"),
    "crm_object": _pick("Account", "Lead", "Opportunity", "Case"),
    "old_format": _pick("XLS 97-2003", "CSV (semicolon, ANSI)", "vCard 2.1"),
    "config_key": _pick("mail.smtp.legacy_auth", "sync.batch_size", "ui.classic_mode"),
    "hook": _pick("before_case_save", "on_lead_import", "after_quote_approve"),
    "api_version": _pick("v29.0", "2019-06", "v1.4"),
}

# Slots whose values must agree with each other: one row of the table is drawn per
# message and shared by every slot of the group that the template uses.
LINKED_SLOTS: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {
    ("partner_api", "partner_path", "url"): (
        ("Stripe", "/v1/charges", "https://api.stripe.com/v1/charges"),
        ("Stripe", "/v1/refunds", "https://api.stripe.com/v1/refunds"),
        ("SendGrid", "/v3/mail/send", "https://api.sendgrid.com/v3/mail/send"),
        ("Twilio", "/2010-04-01/Accounts/Messages.json",
         "https://api.twilio.com/2010-04-01/Accounts/Messages.json"),
        ("HubSpot", "/crm/v3/objects/deals", "https://api.hubapi.com/crm/v3/objects/deals"),
        ("Avalara AvaTax", "/api/v2/transactions/create",
         "https://rest.avatax.com/api/v2/transactions/create"),
        ("Google Maps API", "/maps/api/geocode/json",
         "https://maps.googleapis.com/maps/api/geocode/json"),
        ("ShipFast", "/v2/shipments/rates", "https://api.shipfast.io/v2/shipments/rates"),
        ("Salesforce", "/services/data/v58.0/sobjects/Contact",
         "https://acme.my.salesforce.com/services/data/v58.0/sobjects/Contact"),
        ("DocuSign", "/restapi/v2.1/accounts/envelopes",
         "https://na3.docusign.net/restapi/v2.1/accounts/envelopes"),
        ("Slack", "/services/T024BE7LD/B08H1K2",
         "https://hooks.slack.com/services/T024BE7LD/B08H1K2"),
    ),
    ("db_engine", "db_port"): (
        ("MSSQL", "1433"), ("MySQL", "3306"), ("PostgreSQL", "5432"), ("Redis", "6379"),
        ("MongoDB", "27017"), ("Elasticsearch", "9200"),
    ),
    ("old_endpoint", "new_endpoint"): (
        ("getCustomerDetails", "fetchCustomerInfo"), ("/api/v1/accounts/list", "/api/v2/accounts"),
        ("updateLeadStatus", "patchLead"), ("searchCases", "queryCases"),
        ("GetOpportunityByID", "opportunities.get"),
    ),
    ("old_func", "new_func"): (
        ("crm.utils.format_phone", "crm.phone.to_e164"), ("Account.get_owner", "Account.owner"),
        ("export_to_xls", "export_workbook"), ("LeadService.assign", "LeadRouter.route"),
    ),
    ("guardduty_type", "guardduty_title"): (
        ("UnauthorizedAccess:EC2/SSHBruteForce", "SSH brute force attacks against an instance"),
        ("Recon:EC2/PortProbeUnprotectedPort", "Unprotected port on an instance is being probed"),
        ("CryptoCurrency:EC2/BitcoinTool.B!DNS",
         "Instance is querying a domain associated with cryptocurrency mining"),
        ("UnauthorizedAccess:IAMUser/MaliciousIPCaller",
         "API was invoked from a known malicious IP address"),
    ),
    ("setting", "setting_value"): (
        ("notifications", "weekly"), ("timezone", "Europe/Berlin"), ("theme", "dark"),
        ("default_dashboard", "Pipeline"), ("locale", "en-GB"), ("timezone", "Asia/Tokyo"),
    ),
    ("replicas_from", "replicas_to"): (
        ("2", "4"), ("3", "6"), ("4", "8"), ("6", "4"), ("8", "12"), ("10", "6"), ("12", "9"),
    ),
    ("legacy_module", "new_module"): (
        ("ReportGenerator", "AdvancedAnalyticsSuite"), ("LegacyMailMerge", "Unified Inbox"),
        ("QuoteBuilder Classic", "CPQ Cloud"), ("ContactImporter", "Data Loader 2"),
        ("FormsDesigner", "Smart Forms"),
    ),
}

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
