"""The pipeline's stages, one module per `dvc.yaml` stage, in pipeline order.

Each module owns its stage's inputs and outputs and exposes `Config` (the params sections
it reads), `Paths`, `run(config, paths)` and `command`, the `npre` command DVC runs. The
`baseline` stage is `evaluate` without an adapter. No stage imports another: what two
stages share lives in the subpackages beside this one.
"""

# dvc.yaml stage -> module of this package, in pipeline order
PIPELINE = {
    "lotus": "lotus",
    "sample": "sample",
    "abstracts": "abstracts",
    "seeds": "seeds",
    "instructions": "instructions",
    "synthesize": "synthesize",
    "validate": "validate",
    "base-model": "base_model",
    "select": "select",
    "train": "train",
    "baseline": "evaluate",
    "evaluate": "evaluate",
    "register": "register",
}
