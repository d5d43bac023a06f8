"""``make bench`` rewrites the tables of docs/performance.md and keeps the sections below."""

from benchmarks.__main__ import NOTES_AFTER, with_notes


def test_hand_written_sections_below_the_tables_survive_a_rerun(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(f"# Performance\\n\\nold table\\n\\n{NOTES_AFTER}\\n\\n## A lever\\n\\nwhy\\n")
    new = with_notes(f"# Performance\\n\\nnew table\\n\\n{NOTES_AFTER}\\n", page)
    assert new == f"# Performance\\n\\nnew table\\n\\n{NOTES_AFTER}\\n\\n## A lever\\n\\nwhy\\n"


def test_a_new_page_is_the_generated_text(tmp_path):
    text = f"# Performance\\n\\n{NOTES_AFTER}\\n"
    assert with_notes(text, tmp_path / "missing.md") == text
