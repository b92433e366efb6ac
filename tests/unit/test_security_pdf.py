"""SECURITY.md PDF-1, PDF-2, PDF-3 under their ids: the packet engineer's tests, by reference.

The tests live in ``tests/unit/test_packets_render.py`` (safe fetcher, crafted HTML and CSS,
hostile user text end to end with a canary server, the render pool and its cross-worker cap);
they are named here after the requirement each proves so that ``tests/test_security_ids.py``
finds every id. PDF-4 (packets apply the pages' permissions) is in
``tests/web/test_security_access.py``.
"""

from __future__ import annotations

from tests.unit.test_packets_render import (  # noqa: F401 - the module's fixture, reused
    canary,
)
from tests.unit.test_packets_render import (
    test_busy_becomes_503_with_retry_after as test_pdf3_excess_renders_get_503_with_retry_after,
)
from tests.unit.test_packets_render import (
    test_fetcher_serves_data_urls_and_asset_files_only as test_pdf1_fetcher_allows_data_and_assets_only,  # noqa: E501
)
from tests.unit.test_packets_render import (
    test_hostile_user_text_prints_literally_and_fetches_nothing as test_pdf2_config_secret_key_in_a_question_prints_literally,  # noqa: E501
)
from tests.unit.test_packets_render import (
    test_lenient_render_of_crafted_html_skips_everything_and_embeds_nothing as test_pdf1_crafted_html_and_css_fetch_nothing_and_embed_nothing,  # noqa: E501
)
from tests.unit.test_packets_render import (
    test_render_packet_answers_busy_when_the_only_slot_is_held as test_pdf3_render_cap_is_shared_through_the_database,  # noqa: E501
)

__all__ = [
    "test_pdf1_crafted_html_and_css_fetch_nothing_and_embed_nothing",
    "test_pdf1_fetcher_allows_data_and_assets_only",
    "test_pdf2_config_secret_key_in_a_question_prints_literally",
    "test_pdf3_excess_renders_get_503_with_retry_after",
    "test_pdf3_render_cap_is_shared_through_the_database",
]
