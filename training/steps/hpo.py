"""Optuna search over the step tagger's settings; maximises val macro-F1, prunes weak trials."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from backend.sessions.config import StepsConfig, dump_config
from backend.sessions.encoders import VectorSource
from training.steps.data import Splits
from training.steps.trainer import StepTrainer

logger = logging.getLogger(__name__)


@dataclass
class HPOResult:
    best_value: float
    best_params: dict[str, Any]
    best_config: StepsConfig
    trials: int
    pruned: int


def suggest(trial: optuna.Trial | optuna.trial.FixedTrial, base: StepsConfig) -> StepsConfig:
    """A copy of `base` with the searched fields drawn from the trial."""
    data = base.model_dump()
    model, train, feats = data["model"], data["training"], data["features"]
    model["fusion"] = trial.suggest_categorical("fusion", ["concat", "gated"])
    model["dropout"] = trial.suggest_float("dropout", 0.0, 0.4)
    if model["type"] == "bilstm":
        model["lstm_hidden"] = trial.suggest_categorical("lstm_hidden", [48, 64, 96, 128])
        model["lstm_layers"] = trial.suggest_int("lstm_layers", 1, 2)
    else:
        model["d_model"] = trial.suggest_categorical("d_model", [64, 128])
        model["n_layers"] = trial.suggest_int("n_layers", 1, 3)
    train["lr"] = trial.suggest_float("lr", 3e-4, 3e-3, log=True)
    train["weight_decay"] = trial.suggest_float("weight_decay", 1e-4, 1e-1, log=True)
    feats["text_dim"] = trial.suggest_categorical("text_dim", [8, 16, 32])
    return StepsConfig.model_validate(data)


def run_hpo(splits: Splits, base: StepsConfig, text_source: VectorSource | None,
            trials: int | None = None, output: Path | None = None) -> HPOResult:
    """Run the study and write the best config (YAML) to `output` when given."""
    n_trials = trials or base.hpo.trials

    def objective(trial: optuna.Trial) -> float:
        config = suggest(trial, base)

        def report(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = StepTrainer(config, text_source, progress=False, on_epoch=report).fit(
            splits, epochs=base.hpo.epochs)
        return result.best_val_macro_f1

    sampler = optuna.samplers.TPESampler(seed=base.seed)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=n_trials, timeout=base.hpo.timeout_s)
    best = suggest(optuna.trial.FixedTrial(study.best_params), base)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        dump_config(best, output)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return HPOResult(round(study.best_value, 5), study.best_params, best, len(study.trials),
                     pruned)
