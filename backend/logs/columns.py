"""The result columns of every tabular log output (issue 25): one list, one clash rule.

A leaf module (no imports): settings and the shipped-record parser read it too.
Tabular outputs (CSV, NDJSON and JSON-array records, raw-log records, bulk files) call
the label `target_label`; JSON prediction objects call it `label` (docs/api.md).
"""

RESULT_COLUMNS = ("target_label", "confidence", "tier", "model_version", "reason", "stage",
                  "template")
PREFIX = "sift_"  # a result column never overwrites an input column: it becomes sift_<name>
