"""What one server allows, in one place: every limit a host may need to change, read once from
`BABYLM_*` environment variables, with the defaults the README's "Server limits" table lists.

No streamlit here, so the deployment tools (deploy/school.py writes nginx's upload limit from
it) and the tests read the same numbers as the pages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Mapping


@dataclass(frozen=True)
class Limits:
    """Server-wide limits. Each field is read from `BABYLM_<FIELD NAME>` (BABYLM_MAX_TRAINERS
    for max_trainers); a missing variable keeps the default."""

    # Sessions training at once; each trainer keeps about one core busy.
    max_trainers: int = 2
    # Memory all sessions' own models (trained or uploaded) may hold together, in MB. A session
    # costs its weights plus the caches made from them (session_budget.model_cost_mb); past this a new
    # model is refused with a message, and the pretrained model stays usable.
    session_models_mb: int = 2048
    # Largest model file (.safetensors, .keras, .h5) a person may upload, in MB.
    max_upload_mb: int = 20
    # Largest training text (.txt) a person may upload, in MB.
    max_corpus_upload_mb: int = 2
    # Longest a training run may take, in seconds; then it stops and keeps its best model, so one
    # person cannot hold a trainer slot for hours (the largest settings estimate days).
    max_train_seconds: int = 600

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Limits":
        """The limits set by `BABYLM_<FIELD NAME>` variables; a bad value is a ValueError that
        names the variable."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            name = env_name(f.name)
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
            values[f.name] = value
        return cls(**values)


def env_name(field_name: str) -> str:
    return "BABYLM_" + field_name.upper()


LIMITS = Limits.from_env()
