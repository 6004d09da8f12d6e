"""The registered model `npre-extractor` and its `champion` alias.

The champion only ever moves to a strictly better evaluation F1 on the same evaluation
set; every version records its F1 and a hash of the set it was scored on as tags, and
the version that becomes champion records why. F1s on different sets do not compare: a
champion scored on another set (or on an unrecorded one) gives way to the best version
scored on this one.
"""

from __future__ import annotations

from dataclasses import dataclass

F1_TAG = "eval_f1"
EVAL_SET_TAG = "eval_set_sha256"


def eval_set_hash(path) -> str:
    """The first 16 hex digits of the evaluation set file's sha256."""
    from pathlib import Path

    from npre.base_model.sources import sha256_of

    return sha256_of(Path(path))[:16]


@dataclass
class RegistryDecision:
    version: str
    f1: float
    champion_version: str
    previous_champion: str | None
    previous_f1: float | None
    moved: bool
    reason: str


def register_and_promote(
    client,
    model_name: str,
    alias: str,
    model_uri: str,
    run_id: str,
    f1: float,
    tags: dict[str, str] | None = None,
    eval_set: str | None = None,
) -> RegistryDecision:
    """Register `model_uri` as a new version (with `tags`); move `alias` to the best
    version by F1 among those scored on `eval_set` (a hash; None: every version)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    # compared as the tags record it: the same F1 computed again differs in the last
    # digits, and must not count as better than the champion's rounded tag
    f1 = float(f"{f1:.6f}")
    version = mlflow.register_model(model_uri, model_name).version
    client.set_model_version_tag(model_name, version, F1_TAG, f"{f1:.6f}")
    if eval_set is not None:
        client.set_model_version_tag(model_name, version, EVAL_SET_TAG, eval_set)
    for key, value in (tags or {}).items():
        client.set_model_version_tag(model_name, version, key, value)

    def comparable(model_version) -> bool:
        return eval_set is None or model_version.tags.get(EVAL_SET_TAG) == eval_set

    try:
        current = client.get_model_version_by_alias(model_name, alias)
        current_version = current.version
        current_f1 = float(current.tags.get(F1_TAG, "-inf"))
        other_set = not comparable(current)
    except MlflowException:
        current_version, current_f1, other_set = None, None, False
    best_version, best_f1 = version, f1
    for candidate in client.search_model_versions(f"name='{model_name}'"):
        if not comparable(candidate):
            continue
        candidate_f1 = float(candidate.tags.get(F1_TAG, "-inf"))
        if candidate_f1 > best_f1 or (
            candidate_f1 == best_f1 and int(candidate.version) < int(best_version)
        ):
            best_version, best_f1 = candidate.version, candidate_f1
    moved = (
        current_version is None
        or other_set
        or (best_f1 > current_f1 and best_version != current_version)
    )
    if moved:
        if current_version is None:
            reason = f"first champion: F1 {best_f1:.4f}"
        elif other_set:
            reason = (
                f"F1 {best_f1:.4f}, the best on evaluation set {eval_set}; champion "
                f"v{current_version} was scored on another set "
                f"({current.tags.get(EVAL_SET_TAG, 'unrecorded')}): its F1 does not compare"
            )
        else:
            reason = f"F1 {best_f1:.4f} > champion v{current_version} F1 {current_f1:.4f}"
        client.set_registered_model_alias(model_name, alias, best_version)
        client.set_model_version_tag(model_name, best_version, "champion_reason", reason)
        champion = best_version
    else:
        reason = (
            f"kept champion v{current_version} (F1 {current_f1:.4f}); v{version} has F1 {f1:.4f}"
        )
        champion = current_version
    client.set_model_version_tag(model_name, version, "registry_decision", reason)
    return RegistryDecision(
        version=str(version),
        f1=f1,
        champion_version=str(champion),
        previous_champion=current_version,
        previous_f1=current_f1,
        moved=moved,
        reason=reason,
    )
