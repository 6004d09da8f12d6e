"""Organism-wise passes on a tiny extractor trained on the grouped linearisation."""

from __future__ import annotations

import pytest
from helpers import PAIRS, train_tiny_extractor

from npre.data.records import Chemical, Document, Entity

TEXT = "Chemical study of {o1} gave {c1}, and {o2} gave {c2} in small amounts."


def two_organism_documents() -> list[Document]:
    docs = []
    for i in range(len(PAIRS) - 1):
        (o1, c1), (o2, c2) = PAIRS[i], PAIRS[i + 1]
        docs.append(
            Document(
                PMID=str(i),
                ArticleTitle=f"Metabolites of {o1} and {o2}",
                AbstractText=TEXT.format(o1=o1, c1=c1, o2=o2, c2=c2),
                organisms=[Entity(id="o1", label=o1), Entity(id="o2", label=o2)],
                chemicals=[Chemical(id="c1", label=c1), Chemical(id="c2", label=c2)],
                relations=[("o1", "c1"), ("o2", "c2")],
            )
        )
    return docs


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor

    home = tmp_path_factory.mktemp("grouped")
    base, adapter = train_tiny_extractor(two_organism_documents(), home, linearization="grouped")
    config = ExtractorConfig.load(adapter)
    assert config.linearization == "grouped"
    return RelationExtractor.load(base, adapter, config)


def test_a_pass_per_further_organism_adds_to_the_answer_never_takes_away(extractor):
    from npre.config.model_params import DecodingParams
    from npre.decoding.organism_passes import clause_organisms, organism_pass_outputs
    from npre.linearization.tokens import layout, prompt_ids, source_of_prompt, target_ids

    docs = [(d.ArticleTitle, d.AbstractText) for d in two_organism_documents()]
    extractor.decoding = DecodingParams(max_new_tokens=40)
    alone = extractor.extract_many(docs)
    extractor.decoding = DecodingParams(max_new_tokens=40, organism_passes=True)
    passed = extractor.extract_many(docs)
    for before, after in zip(alone, passed, strict=True):
        assert after.raw == before.raw  # the whole answer is the same
        assert set(before.relations) <= set(after.relations)
        assert all(0.0 < c <= 1.0 for c in after.confidences)
    # each pass starts with a further organism of the answer, forced, then `produces`
    tok, spec = extractor.tokenizer, layout(extractor.tokenizer)
    prompts = [prompt_ids(tok, title, text, 400, 100) for title, text in docs]
    answers = [  # the labels as a grouped answer: two organisms each
        target_ids(tok, d.label_pairs(), source_of_prompt(tok, prompt), linearization="grouped")
        for d, prompt in zip(two_organism_documents(), prompts, strict=True)
    ]
    outputs = [ids[:-1] for ids in answers]
    found = organism_pass_outputs(extractor, prompts, outputs, 40)
    for output, passes in zip(outputs, found, strict=True):
        further = clause_organisms(tok, output)[1:]
        assert len(further) == 1 and len(passes) == 1
        prefix = [*further[0], *spec.produces]
        ids, logprobs = passes[0]
        assert ids[: len(prefix)] == prefix and len(logprobs) >= len(ids)
        assert all(lp <= 1e-6 for lp in logprobs)
