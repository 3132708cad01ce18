"""Template banks for the synthetic log generator.

Each label has a ``LabelSpec``: its share of generated rows, the sources it is
drawn from (with relative weights) and its templates. A template is a tuple
``(name, format_string)`` or ``(name, format_string, pinned_sources)``; the
format string uses named slots (``{ip}``, ``{uuid}``, ...) that
``training.logs.generator`` fills with realistic values. A slot name followed by
``_2``/``_3`` draws a second independent value of the same kind; a slot that
appears twice in one template gets the same value both times.

Template names are part of the public ``template_id`` (``"<slug>/<name>"``), so
rename them only deliberately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Template = tuple[str, str] | tuple[str, str, tuple[str, ...]]

CLOUD = ("ComputeCloud",)
BILLING = ("BillingSystem",)
HR = ("ModernHR",)
CRM = ("ModernCRM",)
ANALYTICS = ("AnalyticsEngine",)
PARTNER = ("ThirdPartyAPI",)
LEGACY = ("LegacyCRM",)

# Common OpenStack request context: [req-<uuid> <user hex32> <tenant hex32> - - -]
_NOVA_CTX = "[{req_id} {hex32} {tenant} - - -]"


@dataclass(frozen=True)
class LabelSpec:
    label: str
    slug: str
    share: float
    sources: dict[str, float]
    templates: list[Template]
    # Fixed, simple patterns that a regex tier can match exactly.
    regex_templates: list[Template] = field(default_factory=list)


HTTP_STATUS = LabelSpec(
    label="HTTP Status",
    slug="http_status",
    share=0.22,
    sources={"ThirdPartyAPI": 3, "ComputeCloud": 3, "ModernCRM": 2.5, "ModernHR": 1,
             "BillingSystem": 1, "AnalyticsEngine": 0.5},
    templates=[
        ("nova_servers_detail",
         "nova.osapi_compute.wsgi.server " + _NOVA_CTX + ' {ip_internal} '
         '"GET /v2/{tenant}/servers/detail HTTP/1.1" status: {status} len: {resp_len} '
         "time: {resp_time}", CLOUD),
        ("nova_server_show",
         "nova.osapi_compute.wsgi.server " + _NOVA_CTX + ' {ip_internal} '
         '"GET /v2/{tenant}/servers/{uuid} HTTP/1.1" status: {status} len: {resp_len} '
         "time: {resp_time}", CLOUD),
        ("nova_external_events",
         "nova.osapi_compute.wsgi.server " + _NOVA_CTX + ' {ip_internal} '
         '"POST /v2/{tenant}/os-server-external-events HTTP/1.1" status: {status} '
         "len: {resp_len} time: {resp_time}", CLOUD),
        ("nova_server_delete",
         "nova.osapi_compute.wsgi.server " + _NOVA_CTX + ' {ip_internal} '
         '"DELETE /v2/{tenant}/servers/{uuid} HTTP/1.1" status: {status} len: {resp_len} '
         "time: {resp_time}", CLOUD),
        ("nova_metadata",
         "nova.metadata.wsgi.server [{req_id} - - - - -] {ip_internal},{ip_internal_2} "
         '"GET {metadata_path} HTTP/1.1" status: {status} len: {resp_len} time: {resp_time}',
         CLOUD),
        ("neutron_ports",
         "neutron.wsgi " + _NOVA_CTX + ' {ip_internal} "GET /v2.0/ports.json?device_id={uuid} '
         'HTTP/1.1" status: {status}  len: {resp_len} time: {resp_time}', CLOUD),
        ("apache_combined",
         '{ip} - - [{apache_time}] "{method} {http_path} HTTP/1.1" {status} {resp_len} '
         '"-" "{user_agent}"'),
        ("apache_common_user",
         '{ip} - {user_login} [{apache_time}] "{method} {http_path} HTTP/1.0" {status} '
         "{resp_len}"),
        ("nginx_timed",
         '{ip} - - [{apache_time}] "{method} {http_path} HTTP/2.0" {status} {resp_len} '
         '"{referer}" "{user_agent}" rt={resp_time_short} uct="0.000" urt="{resp_time_short}"'),
        ("kv_request",
         "method={method} path={http_path} status={status} duration_ms={duration_ms}"),
        ("logfmt_request",
         'level=info ts={iso_time} caller=http.go:{lineno} msg="request completed" '
         "method={method} uri={http_path} code={status} size={resp_len} took={duration_ms}ms"),
        ("json_access",
         '{{"remote_addr": "{ip}", "method": "{method}", "path": "{http_path}", '
         '"status": {status}, "bytes": {resp_len}, "latency_ms": {duration_ms}}}'),
        ("request_returned", "Request to {http_path} returned {status}"),
        ("arrow_summary", "{method} {url} -> {status} ({duration_ms} ms)"),
        ("http_phrase_for", "HTTP {status_phrase} returned for {method} {http_path}"),
        ("service_responded",
         "[{service}] {method} {http_path} responded {status} in {duration_ms}ms"),
        ("outbound_partner",
         "Outbound call to {partner_api} {method} {partner_path} completed with HTTP {status} "
         "({resp_len} bytes)", PARTNER + BILLING + CRM),
        ("webhook_response",
         "Webhook delivery to {url} got response code {status} after {duration_ms} ms",
         PARTNER + BILLING + CRM),
        ("gateway_upstream_kv",
         "gateway: route={http_path} upstream={service} upstream_status={status_5xx} "
         "client={ip}"),
        ("gateway_proxied",
         "API Gateway: {method} {http_path} proxied to {service}:{service_port}, upstream status "
         "{status}, total {duration_ms} ms"),
        ("spring_completed",
         "{iso_time} INFO {pid} --- [{thread}] o.s.web.servlet.DispatcherServlet : "
         "Completed {status_phrase}"),
        ("gin_access",
         '[GIN] {gin_time} | {status} | {duration_human_ms} | {ip} | {method} "{http_path}"'),
        ("uvicorn_access",
         'INFO:     {ip}:{port} - "{method} {http_path} HTTP/1.1" {status_phrase}'),
        ("django_runserver",
         '[{django_time}] "{method} {http_path} HTTP/1.1" {status} {resp_len}'),
        ("iis_w3c",
         "{date_plain} {hms} {ip_internal} {method} {http_path_noquery} - 443 - {ip} "
         "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) {status} 0 0 {duration_ms}"),
        ("aws_alb",
         "https {iso_time} app/{lb_name}/{hex16} {ip}:{port} {ip_internal}:{service_port} 0.001 "
         '{resp_time_short} 0.000 {status} {status} {req_bytes} {resp_len} "{method} '
         'https://{domain}:443{http_path} HTTP/1.1" "{user_agent}"'),
        ("terse_resp", "resp {status} {method_lower} {http_path} {duration_ms}ms"),
        ("partner_phrase",
         "Received {status_phrase} from {partner_api} for {partner_path}", PARTNER),
        ("status_line_client",
         "HTTP/1.1 {status_phrase} - {method} {http_path} - client {ip}"),
        ("health_endpoint",
         "Health endpoint http://{hostname}:{service_port}/healthz answered {status_phrase}"),
        ("redirect", "Redirecting {method} {http_path} to {redirect_path} ({status_3xx})"),
        ("too_many_requests",
         "Responded 429 Too Many Requests to {method} {http_path} for client {client_id}"),
        ("envoy_access",
         '[{iso_time}] "{method} {http_path} HTTP/1.1" {status} - 0 {resp_len} {duration_ms} '
         '{duration_ms_2} "{ip}" "{user_agent}" "{uuid}" "{domain}" '
         '"{ip_internal}:{service_port}"'),
        ("haproxy",
         "haproxy[{pid}]: {ip}:{port} [{haproxy_time}] https-in~ be_{service}/srv{small_n} "
         '0/0/1/{duration_ms}/{duration_ms} {status} {resp_len} - - ---- 12/12/3/1/0 0/0 '
         '"{method} {http_path} HTTP/1.1"'),
        ("client_error_body",
         "{status_4xx} client error for {method} {http_path}: "
         '{{"error": "{api_error_code}", "request_id": "{uuid}"}}'),
    ],
)

RESOURCE_USAGE = LabelSpec(
    label="Resource Usage",
    slug="resource_usage",
    share=0.14,
    sources={"ComputeCloud": 4, "AnalyticsEngine": 3, "BillingSystem": 1, "ModernCRM": 1,
             "ThirdPartyAPI": 0.5, "ModernHR": 0.5},
    templates=[
        ("nova_total_memory",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] Total memory: "
         "{host_mem_mb} MB, used: {used_mem_mb}.00 MB", CLOUD),
        ("nova_memory_limit",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] memory limit: "
         "{mem_limit_mb}.00 MB, free: {mem_free_mb}.00 MB", CLOUD),
        ("nova_total_disk",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] Total disk: "
         "{host_disk_gb} GB, used: {used_disk_gb}.00 GB", CLOUD),
        ("nova_disk_unlimited",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] disk limit not "
         "specified, defaulting to unlimited", CLOUD),
        ("nova_total_vcpu",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] Total vcpu: "
         "{host_vcpus} VCPU, used: {used_vcpus}.00 VCPU", CLOUD),
        ("nova_vcpu_unlimited",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] vcpu limit not "
         "specified, defaulting to unlimited", CLOUD),
        ("nova_attempting_claim",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] Attempting claim: "
         "memory {flavor_mem_mb} MB, disk {flavor_disk_gb} GB, vcpus {flavor_vcpus} CPU",
         CLOUD),
        ("nova_claim_successful",
         "nova.compute.claims " + _NOVA_CTX + " [instance: {uuid}] Claim successful", CLOUD),
        ("nova_final_view",
         "nova.compute.resource_tracker [{req_id} - - - - -] Final resource view: "
         "name={node} phys_ram={host_mem_mb}MB used_ram={used_mem_mb}MB "
         "phys_disk={host_disk_gb}GB used_disk={used_disk_gb}GB total_vcpus={host_vcpus} "
         "used_vcpus={used_vcpus} pci_stats=[]", CLOUD),
        ("nova_auditing",
         "nova.compute.resource_tracker [{req_id} - - - - -] Auditing locally available "
         "compute resources for node {node}", CLOUD),
        ("nova_usable_vcpus",
         "Total usable vcpus: {host_vcpus}, total allocated vcpus: {used_vcpus}", CLOUD),
        ("cpu_threshold",
         "CPU usage on {hostname} at {pct_high}% (alert threshold {threshold}%)"),
        ("memory_fraction",
         "Memory utilization on {hostname}: {mem_used_gb}/{mem_total_gb} GiB in use"),
        ("disk_kv",
         "metric=disk_usage host={hostname} mount={mount} used_pct={pct} "
         "free_gb={disk_free_gb}"),
        ("jvm_heap",
         "[gc-monitor] heap after GC: {mem_used_mb}M of {mem_max_mb}M committed, "
         "old gen {pct}% full"),
        ("hikari_pool",
         "HikariPool-{small_n} - Pool stats (total={pool_total}, active={pool_active}, "
         "idle={pool_idle}, waiting={pool_waiting})"),
        ("queue_depth",
         "Queue {queue} depth is {queue_depth} messages (warning level {queue_limit})"),
        ("load_average",
         "WARN resource-monitor: {hostname} load average {load}, {load_2}, {load_3}"),
        ("disk_space_low",
         "Disk space low on {mount} ({hostname}): {pct_high}% used, {disk_free_gb} GB left"),
        ("container_top",
         "container {container} cpu={millicores}m/{millicores_limit}m "
         "mem={mem_used_mb}Mi/{mem_max_mb}Mi"),
        ("json_sample",
         '{{"event": "resource_sample", "host": "{hostname}", "cpu_pct": {pct}, '
         '"mem_pct": {pct_2}, "disk_pct": {pct_3}}}'),
        ("spark_executor",
         "Executor {small_n} on {hostname}: storage memory {mem_used_mb} MB / "
         "{mem_max_mb} MB, {cores} cores busy", ANALYTICS),
        ("db_connections",
         "Database {db} has {pool_active} active connections (max_connections={conn_max})"),
        ("thread_pool",
         "Thread pool '{pool_name}' saturated: {threads_max}/{threads_max} workers busy, "
         "{queue_depth} tasks waiting"),
        ("network_throughput",
         "Network throughput on {iface} of {hostname} reached {mbps} Mbps on a 10 Gbps link"),
        ("tenant_quota",
         "Tenant {tenant} quota usage: instances {small_n}/20, cores {cores}/64, "
         "ram {used_mem_mb}/{host_mem_mb} MB", CLOUD),
        ("terse_sample", "mem {pct}% cpu {pct_2}% swap {pct_3}% {hostname_short}"),
        ("bucket_storage",
         "Storage bucket {bucket} now holds {storage_tb} TB ({pct}% of allocated quota)"),
        ("volume_iops",
         "IOPS on volume {volume_id} averaged {iops} over 5m (provisioned {iops_limit})"),
        ("redis_info",
         "redis {hostname_short}:6379 used_memory={mem_used_mb}MB maxmemory={mem_max_mb}MB "
         "evicted_keys={record_count} connected_clients={pool_active}"),
    ],
)

SECURITY_ALERT = LabelSpec(
    label="Security Alert",
    slug="security_alert",
    share=0.14,
    sources={"ModernHR": 2, "ModernCRM": 2, "BillingSystem": 2, "ThirdPartyAPI": 2,
             "ComputeCloud": 2, "AnalyticsEngine": 1},
    templates=[
        ("sshd_invalid_user_password",
         "sshd[{pid}]: Failed password for invalid user {bad_user} from {ip} port {port} ssh2"),
        ("sshd_failed_password",
         "{hostname_short} sshd[{pid}]: Failed password for {unix_user} from {ip} "
         "port {port} ssh2"),
        ("sshd_invalid_user",
         "sshd[{pid}]: Invalid user {bad_user} from {ip} port {port}"),
        ("pam_auth_failure",
         "sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
         "tty=ssh ruser= rhost={ip}  user={unix_user}"),
        ("brute_force",
         "Possible brute-force attack: {attempts} failed logins for account {user_login} "
         "from {ip} within {minutes} minutes"),
        ("multiple_login_failures",
         "Multiple failed login attempts ({attempts}) detected for user ID {user_id}"),
        ("privilege_escalation_group",
         "Privilege escalation detected: user {user_login} added themselves to group "
         "'{admin_group}'"),
        ("sudo_not_in_sudoers",
         "sudo: {shell_user} : user NOT in sudoers ; TTY=pts/{small_n} ; "
         "PWD=/home/{shell_user} ; USER=root ; COMMAND={command}"),
        ("unusual_location",
         "Sign-in for {email} from unusual location {geo} (IP {ip}); last seen in {geo_2}"),
        ("impossible_travel",
         "Impossible travel alert: user {user_id} authenticated from {geo} and {geo_2} "
         "within {minutes} minutes"),
        ("firewall_blocked",
         "Firewall blocked {attempts} connection attempts from {ip} to port {sensitive_port}"),
        ("ufw_block",
         "kernel: [UFW BLOCK] IN=eth0 OUT= SRC={ip} DST={ip_internal} LEN=44 TTL=239 "
         "PROTO=TCP SPT={port} DPT={sensitive_port} WINDOW=1024 SYN URGP=0"),
        ("fail2ban_ban", "fail2ban.actions [{pid}]: NOTICE [{jail}] Ban {ip}"),
        ("api_key_foreign_ip",
         "API key {api_key} used from unrecognised IP {ip} for {http_path}; key is "
         "restricted to {ip_internal}"),
        ("api_key_pattern",
         "Suspicious usage of API key {api_key}: {record_count} requests in {minutes} min "
         "from {small_n} countries"),
        ("tls_fingerprint_mismatch",
         "Certificate presented by {ip} for {domain} does not match pinned fingerprint "
         "{fingerprint}; possible man-in-the-middle"),
        ("untrusted_client_cert",
         "Rejected mTLS client {ip}: certificate issued by untrusted CA '{bad_ca}'"),
        ("waf_sqli",
         "WAF rule {waf_rule} triggered: SQL injection attempt in parameter '{param}' "
         "from {ip}"),
        ("xss_blocked",
         "Blocked request from {ip}: cross-site scripting payload detected in {http_path}"),
        ("path_traversal",
         'Directory traversal attempt: {ip} requested "{traversal_path}"'),
        ("port_scan",
         "IDS: port scan detected from {ip} ({record_count} ports probed in {seconds}s)"),
        ("suricata_alert",
         "[**] [1:{sid}:3] ET SCAN Suspicious inbound to {db_engine} port [**] "
         "[Classification: Potentially Bad Traffic] [Priority: 2] {{TCP}} {ip}:{port} -> "
         "{ip_internal}:{db_port}"),
        ("account_locked",
         "Account {user_login} locked after {fail_count} consecutive authentication failures"),
        ("unauthorized_read",
         "Unauthorized attempt to read {sensitive_resource} by user {user_id} "
         "(role={role}) was denied"),
        ("auth_failure_kv",
         "event=auth_failure user={user_login} src_ip={ip} reason=invalid_credentials "
         "mfa=false count={attempts}"),
        ("token_replay_json",
         '{{"alert": "token_replay", "severity": "high", "user_id": {user_id}, '
         '"ip": "{ip}", "detail": "refresh token reused after revocation"}}'),
        ("mfa_failed",
         "MFA challenge failed {fail_count} times for {email}; session terminated"),
        ("malware_quarantine",
         "Antivirus quarantined {malware} in upload {file_name} from user {user_id}"),
        ("data_exfiltration",
         "Anomalous data export: {user_login} downloaded {record_count} records in "
         "{minutes} minutes (baseline {small_n}00)"),
        ("windows_4625",
         "EventID=4625 An account failed to log on. Account Name: {user_login} Failure "
         "Reason: Unknown user name or bad password. Source Network Address: {ip} "
         "Logon Type: 3"),
        ("jwt_signature",
         "Rejected JWT with invalid signature for subject {user_id} from {ip} "
         "(alg={jwt_alg})"),
        ("terse_auth_fail", "auth fail user={bad_user} ip={ip} x{attempts}"),
        ("root_login_refused", "ROOT LOGIN REFUSED FROM {ip} port {port}"),
        ("admin_role_granted",
         "Admin privileges granted to account {user_id} outside change window by "
         "{user_login}; no approval ticket found"),
        ("denylisted_ip_login",
         "Login blocked: {ip} is on the threat-intelligence denylist (attempted user "
         "{user_login})"),
        ("session_hijack",
         "Possible session hijacking: session {req_short} of user {user_id} reused from a new "
         "device and IP {ip}"),
        ("password_spraying",
         "Password spraying detected from {ip}: {record_count} accounts tried with the same "
         "password"),
        ("tor_token_created",
         "Admin API token created from Tor exit node {ip} for account {user_id}"),
        ("disabled_account_auth",
         "Disabled account {user_login} attempted to authenticate via {idp}"),
        ("file_integrity",
         "File integrity monitor on {hostname}: /etc/passwd modified outside of change "
         "management"),
        ("wazuh_rule",
         "wazuh: Rule {sid} (level 10) fired on {hostname_short}: repeated authentication "
         "failures from {ip}"),
    ],
)

CRITICAL_ERROR = LabelSpec(
    label="Critical Error",
    slug="critical_error",
    share=0.10,
    sources={"ComputeCloud": 3, "AnalyticsEngine": 2, "BillingSystem": 2, "ModernCRM": 1,
             "ModernHR": 1, "ThirdPartyAPI": 0.5},
    templates=[
        ("raid_failed",
         "RAID array {raid} on {hostname} has FAILED: {small_n} member disks offline, "
         "volume unavailable"),
        ("kernel_panic",
         "{hostname_short} kernel: Kernel panic - not syncing: {panic_reason}"),
        ("oom_killed",
         "kernel: Out of memory: Killed process {pid} ({proc_name}) total-vm:{kb}kB, "
         "anon-rss:{kb_2}kB, file-rss:0kB, shmem-rss:0kB"),
        ("db_cluster_down",
         "Database cluster {db_cluster} is DOWN: all {small_n} nodes unreachable, "
         "writes halted"),
        ("data_corruption",
         "Data corruption detected in table {table}: checksum mismatch on {record_count} "
         "pages, table taken offline"),
        ("replication_broken",
         "Replication broken between {hostname} and {hostname_2}: replica stopped with "
         "error {mysql_errno}, no healthy standby remains"),
        ("psu_failed",
         "Power supply {psu} on {hostname} failed; chassis running without redundancy"),
        ("node_unreachable",
         "Node {node} unreachable for {minutes} minutes; all {small_n} hosted instances "
         "lost", CLOUD),
        ("service_crashed",
         "Service {service} crashed and did not restart (exit code {fatal_exit}, "
         "{small_n} restart attempts)"),
        ("systemd_core_dump",
         "systemd[1]: {service}.service: Main process exited, code=dumped, "
         "status=11/SEGV; start request repeated too quickly, refusing to start"),
        ("disk_io_readonly",
         "blk_update_request: I/O error, dev {disk_dev}, sector {sector}; EXT4-fs error: "
         "remounting filesystem read-only"),
        ("controller_fault",
         "Storage controller {controller} on {hostname} reported fatal firmware fault; "
         "all attached volumes offline"),
        ("ecc_uncorrectable",
         "EDAC MC0: {small_n} UE uncorrectable memory error on DIMM {dimm} ({hostname}); "
         "machine check, system halted"),
        ("wal_unrecoverable_json",
         '{{"level": "FATAL", "service": "{service}", "msg": "unable to recover '
         'write-ahead log, shutting down", "data_loss": true}}'),
        ("postgres_panic",
         'PANIC:  could not write to file "pg_wal/{wal_segment}": No space left on device; '
         "database system is shut down"),
        ("kafka_log_dir_failed",
         "Kafka broker {small_n} shutting down: log directory /var/lib/kafka/data failed, "
         "{small_n_2}{small_n_3} partitions offline"),
        ("elasticsearch_red",
         "Cluster health status changed from [YELLOW] to [RED]: {small_n} primary shards "
         "unassigned in index [{index}]", ANALYTICS),
        ("backup_data_lost",
         "Backup volume {volume_id} unrecoverable after array failure: {storage_tb} TB of "
         "archived data lost"),
        ("zone_unreachable",
         "Availability zone {az} unreachable and failover to standby region failed; "
         "platform offline"),
        ("workers_dead",
         "CRITICAL {service}: all workers dead, no heartbeat for {seconds}s"),
        ("thermal_shutdown",
         "Temperature sensor {sensor} on {hostname} reads {temp_c}C; emergency thermal "
         "shutdown initiated"),
        ("hypervisor_crash",
         "Hypervisor {node} crashed; {small_n} virtual machines terminated unexpectedly",
         CLOUD),
        ("ceph_health_err",
         "ceph health HEALTH_ERR: {small_n} osds down, {record_count} pgs inactive, "
         "data unavailable", CLOUD),
        ("billing_platform_offline",
         "Payment platform offline: primary and replica databases unavailable, all "
         "transactions halted", BILLING),
        ("jvm_sigsegv",
         "# A fatal error has been detected by the Java Runtime Environment: "
         "SIGSEGV (0xb) at pc=0x{hex16}, pid={pid}, tid={pid_2}"),
        ("xfs_shutdown",
         "XFS ({disk_dev}): Corruption of in-memory data detected. Shutting down filesystem"),
        ("etcd_quorum_lost",
         "etcd cluster lost quorum (1/{small_n} members healthy); control plane "
         "unavailable"),
        ("rabbitmq_partition",
         "rabbit@{hostname_short} down: network partition detected, cluster split and "
         "all queues unavailable"),
    ],
)

ERROR = LabelSpec(
    label="Error",
    slug="error",
    share=0.14,
    sources={"ModernCRM": 2, "ModernHR": 2, "BillingSystem": 2, "AnalyticsEngine": 2,
             "ThirdPartyAPI": 2, "ComputeCloud": 1},
    templates=[
        ("dependency_timeout",
         "Failed to process order {order_id}: upstream {service} timed out after "
         "{timeout_ms}ms"),
        ("request_aborted",
         "Timeout after {seconds}s waiting for {service}; request {req_short} aborted"),
        ("python_keyerror",
         "Error handling task {task_id}: KeyError: '{field_name}'"),
        ("java_npe",
         "ERROR [{thread}] c.acme.{component}.MessageHandler - Unhandled exception for "
         "message {msg_id}: java.lang.NullPointerException: Cannot invoke "
         '"String.trim()" because "{field_name}" is null'),
        ("validation_failed",
         "Validation failed for field '{field_name}': {validation_msg}"),
        ("smtp_send_failed",
         "Unable to send email to {email}: SMTP {smtp_error}"),
        ("payment_declined",
         "Payment gateway declined transaction {txn_id}: processing error (code "
         "{gateway_code})", BILLING + PARTNER),
        ("job_exit_code",
         "Job {job_name} (run {run_id}) failed with exit code {exit_code}"),
        ("retries_exhausted",
         "Retries exhausted ({retries}/{retries}) calling {service}; giving up on "
         "{operation}"),
        ("csv_parse",
         "Could not parse uploaded file {file_name}: unexpected delimiter at line {lineno}"),
        ("unique_violation_kv",
         'level=error msg="failed to write record" table={table} err="duplicate key value '
         'violates unique constraint {table}_pkey"'),
        ("enqueue_failed_json",
         '{{"level": "error", "msg": "failed to enqueue message", "queue": "{queue}", '
         '"error": "{short_error}"}}'),
        ("lock_wait_timeout",
         "Update on {table} failed: Lock wait timeout exceeded; try restarting transaction"),
        ("value_error_import",
         "ValueError: invalid literal for int() with base 10: '{bad_value}' while importing "
         "{file_name}"),
        ("connection_refused",
         "Request {req_short} to {service} failed: connection refused "
         "({ip_internal}:{service_port})"),
        ("celery_task",
         "[worker-{small_n}] ERROR Task {task_name}[{uuid}] raised unexpected: "
         "ConnectionResetError(104, 'Connection reset by peer')"),
        ("terse_decode",
         "err: could not decode response from {partner_api} (json: unexpected end of input)"),
        ("report_statement_timeout",
         "Report {report_id} generation failed: query exceeded {seconds}s statement timeout",
         ANALYTICS),
        ("export_batch_exception",
         "Export batch {batch_id} failed: {exception_detail}"),
        ("webhook_dead_letter",
         "Webhook handler for event {event_type} threw {exception}; event {uuid} moved to "
         "dead-letter queue"),
        ("go_decode_body",
         "{iso_time} ERROR handler/{component}.go:{lineno} failed to decode request body: "
         "invalid character '<' looking for beginning of value"),
        ("kafka_deserialize",
         "Deserialization error on topic {topic} partition {small_n} offset {offset}: "
         "unknown magic byte"),
        ("log_rotate_permission",
         "Failed to rotate log file {log_path}: Permission denied"),
        ("python_indexerror",
         "IndexError: list index out of range in {func}() ({component}.py:{lineno})"),
        ("serialization_failure",
         "ERROR: could not serialize access due to concurrent update (SQLSTATE 40001) "
         "on {table}"),
        ("thumbnail_failed",
         "Thumbnail generation failed for {file_name}: unsupported image format"),
        ("s3_put_failed",
         "PutObject {file_name} to s3://{bucket} failed: RequestTimeout, retry "
         "{retries} of {retries}"),
        ("calendar_api_error",
         "Could not create calendar event {record_id}: remote API rejected timezone "
         "'{bad_tz}'", HR + CRM),
        ("dotnet_exception",
         "System.InvalidOperationException: Sequence contains no elements at "
         "{component}.Services.{func}() in request {req_short}"),
        ("sms_failed",
         "SMS to {phone} not delivered: provider returned error {gateway_code}"),
    ],
)

USER_ACTION = LabelSpec(
    label="User Action",
    slug="user_action",
    share=0.08,
    sources={"ModernCRM": 3, "ModernHR": 3, "BillingSystem": 1.5, "AnalyticsEngine": 1,
             "ThirdPartyAPI": 0.3},
    regex_templates=[
        ("logged_in", "User {user_tag} logged in."),
        ("logged_out", "User {user_tag} logged out."),
        ("account_created", "Account with ID {account_id} created by {user_tag}."),
        ("password_changed", "User {user_tag} changed their password."),
        ("profile_updated", "Profile updated by user {user_tag}."),
        ("file_uploaded", "File {file_name} uploaded by user {user_tag}."),
        ("file_downloaded", "File {file_name} downloaded by user {user_tag}."),
        ("report_exported", "Report {report_name} exported by user {user_tag}."),
    ],
    templates=[
        ("session_start_kv", "session start: user={user_login} ip={ip} client={client_app}"),
        ("sso_sign_in", "{email} signed in via SSO ({idp})"),
        ("audit_profile_update",
         "[audit] user_id={user_id} action=profile.update fields=[{profile_fields}]"),
        ("logout_json",
         '{{"event": "user.logout", "user_id": {user_id}, "session_duration_s": {seconds}}}'),
        ("leave_request",
         "Employee {person} submitted a leave request for {small_n} days", HR),
        ("contacts_exported",
         "User {user_login} exported {record_count} contacts to CSV", CRM),
        ("account_registered", "New account registered: {email} (plan: {plan})"),
        ("statement_downloaded",
         "{user_login} downloaded statement {invoice_id}.pdf", BILLING),
        ("password_reset_link", "Password reset completed by {email} using emailed link"),
        ("dashboard_shared",
         "User {user_id} shared dashboard '{dashboard}' with {small_n} teammates", ANALYTICS),
        ("billing_address_updated", "Customer {user_id} updated their billing address",
         BILLING),
        ("two_factor_enabled", "{user_login} enabled two-factor authentication"),
        ("avatar_uploaded", "user {user_login} uploaded a new avatar ({size_kb} KB)"),
        ("timesheet_approved",
         "{person} approved the timesheet of {person_2} for week {week}", HR),
        ("subscription_cancelled",
         "Customer {user_id} cancelled their subscription (plan: {plan})", BILLING),
        ("ticket_comment", "{user_login} added a comment to ticket #{ticket_id}", CRM),
        ("audit_document_download",
         "audit: actor={email} action=document.download object={file_name}"),
        ("emergency_contact", "{person} updated their emergency contact details", HR),
        ("saved_view_created",
         "{user_login} created saved view '{saved_view}' in the pipeline board", CRM),
        ("ui_export_click",
         "[ui] user={user_login} clicked Export > PDF on report {report_name}", ANALYTICS),
        ("terms_accepted", "User {user_id} accepted the terms of service v{minor_version}"),
        ("drafts_deleted", "{user_login} deleted {small_n} draft invoices", BILLING),
    ],
)

SYSTEM_NOTIFICATION = LabelSpec(
    label="System Notification",
    slug="system_notification",
    share=0.08,
    sources={"ComputeCloud": 1.5, "AnalyticsEngine": 1.5, "BillingSystem": 1, "ModernCRM": 1,
             "ModernHR": 1, "ThirdPartyAPI": 1},
    regex_templates=[
        ("backup_started", "Backup started at {datetime_plain}."),
        ("backup_completed", "Backup completed successfully."),
        ("system_updated", "System updated to version {version}."),
        ("disk_cleanup", "Disk cleanup completed successfully."),
        ("reboot_initiated", "System reboot initiated by user {user_tag}."),
        ("scheduled_job_completed", "Scheduled job {job_name} completed."),
        ("service_restarted", "Service {service} restarted successfully."),
        ("cache_cleared", "Cache cleared for {cache_name}."),
        ("certificate_renewed", "Certificate for {domain} renewed, valid until {future_date}."),
    ],
    templates=[
        ("snapshot_finished",
         "backup: snapshot {snapshot_id} of {db} finished, {size_gb} GB in {duration_human}"),
        ("nightly_job_ok",
         "Nightly job '{job_name}' finished OK ({record_count} records, {duration_human})"),
        ("systemd_started", "systemd[1]: Started {unit_description}."),
        ("maintenance_window",
         "[maintenance] window MW-{small_n}{small_n_2} opened; non-urgent jobs paused until "
         "{hms}"),
        ("cert_manager_renewed",
         "cert-manager: certificate default/{domain} renewed, next renewal in {days} days"),
        ("deploy_finished_json",
         '{{"event": "deploy.finished", "service": "{service}", "version": "{version}", '
         '"status": "success"}}'),
        ("log_rotation",
         "Log rotation complete: {small_n} files compressed and archived to {log_dir}"),
        ("config_reloaded", "Configuration reloaded for {service} (revision {rev})"),
        ("index_rebuilt", "Index rebuild on {table} finished in {duration_human}"),
        ("health_checks_passing",
         "All {small_n} instances of {service} passing health checks after rollout"),
        ("time_sync", "chronyd[{pid}]: System clock synchronised, offset {offset_ms} ms"),
        ("node_back_in_pool",
         "Scheduled maintenance finished on {hostname}; node returned to the pool"),
        ("vacuum_completed",
         "Routine VACUUM ANALYZE on {table} completed; {record_count} dead tuples removed"),
        ("image_pulled",
         'Successfully pulled image "registry.internal/{service}:{version}" in '
         "{duration_human}"),
        ("report_delivered",
         "Scheduled report '{report_name}' delivered to {small_n} recipients"),
        ("cron_exit_zero", "[cron] {job_name} ran at {hms}, exit status 0"),
        ("maintenance_mode_off",
         "Maintenance mode disabled; {service} is accepting traffic again"),
        ("retention_purge",
         "Data retention job purged {record_count} records older than {days} days"),
        ("spring_started",
         "Started {service} in {seconds}.{small_n} seconds (process running for "
         "{seconds}.{small_n_2})"),
        ("cron_cmd",
         "{hostname_short} CRON[{pid}]: ({unix_user}) CMD (/usr/local/bin/{job_name}.sh)"),
        ("search_index_refreshed",
         "Search index '{index}' refreshed with {record_count} documents"),
    ],
)

WORKFLOW_ERROR = LabelSpec(
    label="Workflow Error",
    slug="workflow_error",
    share=0.05,
    sources={"LegacyCRM": 1},
    templates=[
        ("escalation_inactive_agent",
         "Case escalation for ticket ID {ticket_id} failed because the assigned support "
         "agent is no longer active."),
        ("invoice_tax_module",
         "Invoice generation aborted for order ID {order_id} due to invalid tax "
         "calculation module."),
        ("lead_conversion_contact",
         "Lead conversion failed for prospect ID {prospect_id} due to missing contact "
         "information."),
        ("approval_routing_broken",
         "Approval routing for quote {quote_id} is broken: no approver is configured for "
         "a {pct_discount}% discount."),
        ("customer_sync_stalled",
         "Customer record sync stalled for account {account_id}; {small_n} pending updates "
         "are stuck in the outbound queue."),
        ("workflow_required_field",
         "Workflow '{workflow_name}' halted at step {small_n} ('{step_name}'): required "
         "field '{crm_field}' is empty."),
        ("territory_no_owner",
         "Could not assign opportunity OPP-{opp_id} to territory {territory}: territory "
         "rules returned no owner."),
        ("renewal_owner_deactivated",
         "Renewal reminder for contract {contract_id} was not sent because the account "
         "owner has been deactivated."),
        ("order_retired_warehouse",
         "Order {order_id} stuck in 'Pending Fulfilment': shipping rule references "
         "retired warehouse {warehouse}."),
        ("merge_rolled_back",
         "Merge of duplicate accounts {account_id} and {account_id_2} rolled back due to "
         "conflicting billing contacts."),
        ("sla_calendar_missing",
         "SLA timer for case {ticket_id} not started: business hours calendar "
         "'{calendar}' is missing."),
        ("commission_period_open",
         "Commission calculation for sales rep {rep_id} skipped because quota period "
         "{quarter} has not been closed."),
        ("campaign_import_deleted_field",
         "Campaign {campaign_id} member import stopped: segment filter references deleted "
         "field '{crm_field}'."),
        ("refund_inactive_manager",
         "Refund request {refund_id} could not be routed to finance; the approval chain "
         "ends at an inactive manager."),
        ("round_robin_empty",
         "Auto-assignment rule '{rule_name}' failed for {small_n} new leads: round-robin "
         "queue has no members."),
        ("pricebook_inactive",
         "Quote-to-order handoff failed for quote {quote_id}: price book '{pricebook}' is "
         "inactive."),
        ("nurture_consent_unknown",
         "Contact {contact_id} was not enrolled in the nurture sequence because consent "
         "status is unknown."),
        ("close_case_kv",
         'legacy_crm.workflow step=CloseCase case={ticket_id} result=FAILED reason="child '
         'cases still open"'),
        ("escalation_rule_queue_deleted",
         "[WF-ENGINE] Escalation rule ESC-{small_n}{small_n_2} could not fire for ticket "
         "{ticket_id}: target queue '{crm_queue}' was deleted."),
        ("contract_activation_signature",
         "Contract {contract_id} activation blocked: e-signature step never completed by "
         "customer contact {contact_id}."),
        ("discount_approval_expired",
         "Discount approval for deal OPP-{opp_id} expired before the regional director "
         "responded; the deal was returned to draft."),
        ("auto_closure_survey",
         "Auto-closure of case {ticket_id} skipped because the satisfaction survey step "
         "never completed."),
        ("partner_lead_suspended",
         "Partner lead {prospect_id} could not be shared with the reseller because the "
         "partner account is suspended."),
        ("onboarding_no_csm",
         "Onboarding plan for account {account_id} cannot start: no customer success "
         "manager is assigned to the segment."),
    ],
)

DEPRECATION_WARNING = LabelSpec(
    label="Deprecation Warning",
    slug="deprecation_warning",
    share=0.05,
    sources={"LegacyCRM": 1},
    templates=[
        ("module_retired",
         "The '{legacy_module}' module will be retired in version {major_version}. Please "
         "migrate to the '{new_module}' by {month_year}."),
        ("endpoint_removed",
         "API endpoint '{old_endpoint}' is deprecated and will be removed in version "
         "{minor_version}. Use '{new_endpoint}' instead."),
        ("legacy_auth_discontinued",
         "Support for legacy authentication methods will be discontinued after "
         "{future_date}."),
        ("python_style_warning",
         "DeprecationWarning: {old_func}() is deprecated since {minor_version} and will be "
         "removed in {major_version}; call {new_func}() instead"),
        ("soap_shutdown",
         "SOAP interface {soap_service} is scheduled for shutdown on {future_date}; switch "
         "to the REST API."),
        ("field_stops_syncing",
         "Field '{crm_field}' on object {crm_object} is deprecated and will stop syncing "
         "after release {minor_version}."),
        ("export_format_unmaintained",
         "Warning: export format '{old_format}' is no longer maintained and will be "
         "removed in the next major release."),
        ("plugin_end_of_life",
         "The {legacy_module} plugin reaches end-of-life in {month_year}; no further "
         "patches will be issued after that date."),
        ("config_key_renamed",
         "Config key '{config_key}' is deprecated and will be ignored starting "
         "v{minor_version}. Rename it to '{config_key}_v2'."),
        ("report_engine_sunset",
         "[DEPRECATED] Report template '{report_name}' relies on the classic reporting "
         "engine, which is being sunset on {future_date}."),
        ("tls_legacy_refused",
         "Connections using TLS 1.0/1.1 to the CRM gateway will be refused from "
         "{future_date}. Upgrade your integration client."),
        ("import_tool_obsolete",
         "Batch import tool v{minor_version} is obsolete and will be disabled in "
         "{quarter}; use the Data Loader instead."),
        ("hook_api_version",
         "Custom script hook '{hook}' targets API version {api_version}, which reaches end "
         "of support on {future_date}."),
        ("deprecated_call_terse",
         "legacy_crm: deprecated call {old_endpoint} from client {client_id} (removal "
         "planned for {major_version})"),
        ("mail_connector_phase_out",
         "Notice: the on-premise mail connector is being phased out in version "
         "{major_version}. Migrate mailboxes to the cloud mail integration."),
        ("formula_syntax",
         "Workflow rule '{rule_name}' uses the old formula syntax, which will no longer be "
         "evaluated after {month_year}."),
        ("python2_scripts",
         "Python 2 runtime for custom scripts is deprecated; scripts will stop executing "
         "after {future_date}."),
        ("classic_ui",
         "The classic UI theme is deprecated and will be removed in {major_version}; switch "
         "to the new workspace layout."),
        ("parameter_ignored",
         "Warning: parameter 'includeInactive' of {old_endpoint} is deprecated and has been "
         "ignored since {minor_version}."),
        ("ftp_export",
         "Data export over FTP is deprecated. SFTP will be required from {month_year}."),
        ("legacy_header",
         "Header X-Legacy-Auth is deprecated; requests that send it will be rejected after "
         "{future_date}."),
        ("old_mobile_versions",
         "Mobile app versions older than {minor_version} are no longer supported and will "
         "be blocked on {future_date}."),
    ],
)

LABEL_SPECS: tuple[LabelSpec, ...] = (
    HTTP_STATUS,
    RESOURCE_USAGE,
    SECURITY_ALERT,
    CRITICAL_ERROR,
    ERROR,
    USER_ACTION,
    SYSTEM_NOTIFICATION,
    WORKFLOW_ERROR,
    DEPRECATION_WARNING,
)
