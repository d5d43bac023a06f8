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


def test_dask_scaling_rows_give_each_worker_count_its_rates_and_efficiency():
    from benchmarks.__main__ import dask_markdown

    lines = dask_markdown(
        {
            "runs": 16,
            "n": 100_000,
            "months": 60,
            "cores": 2,
            "runs_per_minute": {"1": [40.0, 42.5], "2": [80.1, 76.0]},
            "efficiency": {"1": 1.0, "2": 0.94},
            "coordinator_cpu_seconds_per_run": {"1": [0.1, 0.12], "2": [0.15, 0.14]},
        }
    )
    assert "| 1 | 40.0, 42.5 | 1.00 | 0.10, 0.12 |" in lines
    assert "| 2 | 80.1, 76.0 | 0.94 | 0.15, 0.14 |" in lines
    assert any("on 2 cores" in line for line in lines)


def test_the_floor_counts_tie_gathers_only_for_those_who_read_their_ties():
    from benchmarks.__main__ import floor_per_agent_step

    machine = {"stream_bytes_per_second": 30e9, "random_gathers_per_second": 150e6}
    row = {"state_bytes_per_agent": 51, "tie_count_bytes_per_agent": 7}
    everyone = floor_per_agent_step({**row, "readers_share": 1.0, "changed_share": 0.0}, machine)
    few = floor_per_agent_step({**row, "readers_share": 0.04, "changed_share": 0.024}, machine)
    assert everyone == (2 * 1.0 + 1) / 150e6  # two fields of the one far tie, and the row
    assert few == (2 * 51 + 7 + 0.04 * 48) / 30e9  # streaming the state binds
