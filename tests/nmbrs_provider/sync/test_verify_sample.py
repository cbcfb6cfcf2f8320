"""Which written employees are read back after a load."""

from __future__ import annotations

from nmbrs_provider.core.config import LoadConfig
from nmbrs_provider.sync.pipeline import LoadSettings, open_backend, to_verify

WRITTEN = tuple(range(100, 130))


def test_a_sample_is_spread_over_all_written_employees():
    sample = to_verify(WRITTEN, LoadSettings(verify="sample", verify_sample=5))
    assert sample == (100, 106, 112, 118, 124)


def test_small_companies_are_read_back_entirely():
    assert to_verify(WRITTEN[:3], LoadSettings(verify="sample", verify_sample=5)) == WRITTEN[:3]


def test_all_and_none_do_what_they_say():
    assert to_verify(WRITTEN, LoadSettings(verify="all")) == WRITTEN
    assert to_verify(WRITTEN, LoadSettings(verify="none")) == ()
    assert to_verify(WRITTEN, LoadSettings(verify="sample", verify_sample=0)) == ()


def test_settings_come_from_the_config_load_section():
    settings = LoadSettings.from_config(LoadConfig(chunk_size=200, verify="all"))
    assert settings.verify == "all"
    # Batch sizes belong to the backend: the config's chunk_size, or the operator's override.
    assert open_backend("nmbrs_default", LoadConfig(chunk_size=200)).batch_size == 200
    assert open_backend("nmbrs_default", LoadConfig(), batch_size=50).batch_size == 50
