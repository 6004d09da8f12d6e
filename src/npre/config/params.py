"""The `params.yaml` sections, one pydantic model each.

Every stage reads only its own section (plus `run`); an unknown key or a value of the
wrong type stops the stage with a message naming the key, e.g. `train.lr`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import Field, ValidationError

from npre.config.model_params import (
    EvaluateParams,
    ModelParams,
    SelectParams,
    TrainParams,
)
from npre.config.section import Section
from npre.config.synthesize_params import SynthesizeParams


class RunParams(Section):  # what every stage shares
    seed: int = 42
    num_threads: int = Field(2, ge=1, description="torch CPU threads")


class LotusParams(Section):
    max_relations_per_reference: int = Field(20, ge=1)
    max_chemical_name_length: int = Field(60, ge=1)
    unattributed_kingdom: str = "Not attributed (Bacteria and Algae)"


SamplerName = Literal[
    "gme", "random", "top_relations", "top_structures", "top_organisms", "top_sum"
]


class SampleParams(Section):
    # each sampler's references feed its own synthetic data and the experiment grid
    samplers: list[SamplerName] = Field(["gme", "random"], min_length=1)
    n_per_kingdom: int = Field(18, ge=1)
    item_column: str = "reference_pubmed_id"
    on_columns: list[str] = ["structure_wikidata", "organism_wikidata"]
    binarised: bool = False
    selector: Literal["dutopia", "sum"] = "dutopia"


class AbstractsParams(Section):
    source: Literal["cache", "pubmed"] = "cache"  # pubmed: fetch what the cache lacks
    eutils_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    max_retries: int = Field(5, ge=0)


class SeedsParams(Section):
    valid_fraction: float = Field(0.15, gt=0, lt=1)


class InstructionsParams(Section):
    prompts_per_seed: int = Field(1, ge=1)
    n_keywords: int = Field(5, ge=0)
    # KeyBERT-style keywords with this sentence-transformers model (a local folder);
    # null: the statistical extractor. Needs the `keywords` extra.
    keyword_model: str | None = None
    keyword_max_words: int = Field(2, ge=1)  # longest keyphrase, in words
    keyword_diversity: float = Field(0.5, ge=0, le=1)  # maximal-marginal-relevance weight
    # the paper's random variations of the main findings
    class_probability: float = Field(0.3, ge=0, le=1)  # 2+ chemicals -> "two Flavonoids"
    series_probability: float = Field(0.7, ge=0, le=1)  # "amphidinolides A–D"
    numbering_probability: float = Field(0.3, ge=0, le=1)  # "baicalein (1), ..."
    # labels widened from other seeds (`npre.synthesis.widening`): real abstracts state
    # one compound set for several organisms, or a dozen compounds from one
    shared_organisms_probability: float = Field(0.0, ge=0, le=1)
    pooled_chemicals_probability: float = Field(0.0, ge=0, le=1)
    max_widened_relations: int = Field(20, ge=1)


class ValidateParams(Section):
    min_pass_rate: float = Field(0.8, ge=0, le=1)
    min_alignment: float = Field(1.0, ge=0, le=1)
    min_chars: int = Field(200, ge=0)
    max_chars: int = Field(4000, ge=1)
    max_relations: int = Field(20, ge=1)


DataVariant = Literal["seeds", "synthetic", "selected"]
AdapterMethod = Literal["lora", "qlora"]


class GridParams(Section):
    """The experiment grid: samplers x data x methods, one `train` stage each.

    samplers: whose references feed synthetic data and training (each of them must be in
    `sample.samplers`, which also lists the samplers only compared for diversity).

    data: `seeds` = the seed abstracts with their LOTUS labels; `synthetic` = the seed
    abstracts plus every validated synthetic document; `selected` = the seed abstracts plus
    the teacher-selected synthetic documents.
    """

    samplers: list[SamplerName] = Field(["gme"], min_length=1)
    data: list[DataVariant] = Field(["seeds", "selected"], min_length=1)
    methods: list[AdapterMethod] = Field(["lora"], min_length=1)


class RegisterParams(Section):
    model_name: str = "npre-extractor"
    alias: str = "champion"
    experiment: str = "npre"


class ServeParams(Section):
    """The HTTP API (serving/); each key can be overridden by NPRE_<KEY> in the environment."""

    model_uri: str = "models:/npre-extractor@champion"
    model_source: Literal["auto", "mlflow", "bentoml"] = Field(
        "auto", description="auto: a built Bento serves the model packed in it, else MLflow"
    )
    bento_model: str = Field("npre-extractor", description="name in the BentoML model store")
    max_chars: int = Field(20000, ge=1, description="per title and per abstract")
    max_documents: int = Field(32, ge=1, description="per /extract_batch request")
    # a pretrained extractor answers in seconds per abstract on a CPU: small batches, a
    # bounded queue, and a 503 with Retry-After beyond it rather than minutes of waiting
    max_batch_size: int = Field(16, ge=1, description="adaptive batching: documents per batch")
    # BentoML answers 503 for a request its batcher expects to wait longer than this; its
    # estimate is rough at start-up, so the bound that sheds load is max_pending
    max_latency_ms: int = Field(120000, ge=1, description="adaptive batching: queueing bound")
    max_pending: int = Field(
        16, ge=1, description="extraction requests in the server; beyond: 503 + Retry-After"
    )
    timeout_s: int = Field(120, ge=1, description="a request still unanswered then: 504")
    num_threads: int = Field(2, ge=1, description="torch CPU threads of each model worker")
    model_workers: int = Field(1, ge=1, description="model processes, each batching alone")


SECTIONS: dict[str, type[Section]] = {
    "run": RunParams,
    "lotus": LotusParams,
    "sample": SampleParams,
    "abstracts": AbstractsParams,
    "seeds": SeedsParams,
    "instructions": InstructionsParams,
    "synthesize": SynthesizeParams,
    "validate": ValidateParams,
    "select": SelectParams,
    "model": ModelParams,
    "train": TrainParams,
    "grid": GridParams,
    "evaluate": EvaluateParams,
    "register": RegisterParams,
    "serve": ServeParams,
}

RENAMED_SECTIONS = {"base": "run", "base_model": "model.tiny"}  # older files: where keys went

S = TypeVar("S", bound=Section)


class ParamsError(ValueError):
    """A `params.yaml` section is missing, has an unknown key or a wrong value."""


def read_params_file(path: Path = Path("params.yaml")) -> dict:
    """The params file as a mapping; a missing file or bad YAML names the file."""
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError as exc:
        raise ParamsError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: must be a mapping of sections, got {raw!r}")
    for old, new in RENAMED_SECTIONS.items():
        if old in raw:
            raise ParamsError(f"{path}: section '{old}' is now '{new}'; rename it")
    return raw


def validate_section(name: str, raw: dict, path: Path = Path("params.yaml")) -> Section:
    """Validate one section of an already-read params mapping; errors name `section.key`."""
    model = SECTIONS[name]
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise ParamsError(f"{path}: section '{name}' must be a mapping, got {section!r}")
    try:
        return model.model_validate(section)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(part) for part in (name, *err["loc"]))
            value = err.get("input")
            problems.append(f"{key}: {err['msg']} (got {value!r})")
        raise ParamsError(f"{path}: invalid params\n  " + "\n  ".join(problems)) from None


def load_section(name: str, path: Path = Path("params.yaml")) -> Section:
    """Read and validate one section of a params file; errors name `section.key`."""
    return validate_section(name, read_params_file(path), path)
