"""Derivative series: the expression a text writes, and its members."""

from npre.text.series import expand_relations, members
from npre.text.series import series_expression as expression_for

TEXT = (
    "Xylomycins A, C, F and G were isolated with amphidinolides A–D and ganoderic "
    "acids A and H, and eryloside G; xylarosides a, b1, b2 and c, ginsenosides b1–b3."
)


def test_the_expression_listing_a_member_is_found():
    assert expression_for(TEXT, "xylomycin F") == "Xylomycins A, C, F and G"
    assert expression_for(TEXT, "amphidinolide B") == "amphidinolides A–D"  # inside a range
    assert expression_for(TEXT, "ganoderic acid H") == "ganoderic acids A and H"
    assert expression_for(TEXT, "amphidinolide E") is None  # not listed
    assert expression_for(TEXT, "artemisinin") is None  # no series member
    # lowercase letters and a letter with a digit, as curated sets write some series
    assert expression_for(TEXT, "xylaroside b2") == "xylarosides a, b1, b2 and c"
    assert expression_for(TEXT, "ginsenoside b2") == "ginsenosides b1–b3"
    assert expression_for(TEXT, "xylaroside d") is None


def test_members_of_a_written_series():
    assert members("amphidinolides A–D") == [f"amphidinolide {x}" for x in "ABCD"]
    assert members("ganoderic acids A and H") == ["ganoderic acid A", "ganoderic acid H"]
    assert members("xylomycins A") == ["xylomycin A"]  # plural, one member
    assert members("eryloside G") == ["eryloside G"]  # a name, unchanged
    assert members("vitamin D") == ["vitamin D"]
    assert members("artemisinin") == ["artemisinin"]
    assert members("xylarosides a, b1 and c") == [
        "xylaroside a",
        "xylaroside c",
        "xylaroside b1",
    ]
    assert members("ginsenosides b1–b3") == [f"ginsenoside b{i}" for i in (1, 2, 3)]
    assert members("xylarosides a") == ["xylaroside a"]


def test_relations_are_expanded_and_bare_suffixes_dropped():
    pairs = [("X y", "C"), ("X y", "ginkgolides A–C"), ("X y", "ginkgolide B")]
    assert expand_relations(pairs) == [
        ("X y", "ginkgolide A"),
        ("X y", "ginkgolide B"),
        ("X y", "ginkgolide C"),
    ]
