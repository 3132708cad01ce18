"""The generators' data moved from Python to validated YAML without changing one byte of
what they generate (hashes recorded before the move, issue 15); bad data fails at load."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from training.logs.generator import generate_logs
from training.logs.templates import DATA, load_label_specs
from training.tasks.generator import generate_tasks

BEFORE_YAML = {  # sha256 of generate_logs(...).to_csv(index=False), recorded on the Python banks
    (8000, 42): "d928c033b07a9ea38df326bc07523c4935bac3d0028afc42c6342846b30971db",
    (3000, 7): "3815fbc1e0bae14112c339daa24202e2fb7c5de5ef6e088819fbf8bf97185ee1",
}


TASKS_BEFORE_YAML = {
    (3000, 42): "662da430be14e4fc3bdade2fd0d5bd49b8325813a5efdb9ee2460c452c375227",
    (800, 5): "7a9024db34455c6cfb658ac9af001b96b93838415bae0faa810297a8ebafa838",
}


@pytest.mark.parametrize(("rows", "seed"), sorted(TASKS_BEFORE_YAML))
def test_generated_tasks_are_byte_identical_to_before(rows: int, seed: int):
    csv = generate_tasks(rows, seed).to_csv(index=False).encode()
    assert hashlib.sha256(csv).hexdigest() == TASKS_BEFORE_YAML[(rows, seed)]


@pytest.mark.parametrize(("rows", "seed"), sorted(BEFORE_YAML))
def test_generated_logs_are_byte_identical_to_before(rows: int, seed: int):
    csv = generate_logs(n=rows, seed=seed).to_csv(index=False).encode()
    assert hashlib.sha256(csv).hexdigest() == BEFORE_YAML[(rows, seed)]


def test_a_bank_with_a_repeated_template_name_is_refused(tmp_path: Path):
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    first = data["labels"][0]["templates"]
    first.append(dict(first[0]))
    bad = tmp_path / "templates.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationError, match="template names repeated"):
        load_label_specs(bad)
    data["labels"][0]["templates"].pop()
    data["labels"][0]["share"] = 0
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationError, match="share"):
        load_label_specs(bad)
