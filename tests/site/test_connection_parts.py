"""Settings accept a connection as the parts AWS hands over (JSON secrets by field)."""

from __future__ import annotations

import dj_database_url
import pytest
from redis.connection import parse_url

from frgm_site.connection_parts import url_from_parts


def test_no_host_means_the_url_setting_is_read_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_HOST", raising=False)
    assert url_from_parts("DATABASE", scheme="postgres", default_port=5432) is None


def test_a_generated_password_survives_the_url_whatever_it_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "DATABASE_HOST": "frgm.abc.us-east-1.rds.amazonaws.com",
        "DATABASE_PORT": "5433",
        "DATABASE_NAME": "frgm",
        "DATABASE_USER": "frgm",
        "DATABASE_PASSWORD": "p@ss:w/rd#?%",
    }.items():
        monkeypatch.setenv(name, value)
    url = url_from_parts("DATABASE", scheme="postgres", default_port=5432)
    assert url is not None
    parsed = dj_database_url.parse(url)
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"]) == (
        "frgm.abc.us-east-1.rds.amazonaws.com",
        5433,
        "frgm",
    )
    assert (parsed["USER"], parsed["PASSWORD"]) == ("frgm", "p@ss:w/rd#?%")


def test_redis_parts_make_a_tls_url_with_the_acl_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRGM_STATE_REDIS_HOST", "clustercfg.frgm.memorydb.amazonaws.com")
    monkeypatch.setenv("FRGM_STATE_REDIS_USER", "frgm-app")
    monkeypatch.setenv("FRGM_STATE_REDIS_PASSWORD", "s3cret/+=")
    monkeypatch.delenv("FRGM_STATE_REDIS_PORT", raising=False)
    url = url_from_parts("FRGM_STATE_REDIS", scheme="rediss", default_port=6379)
    assert url is not None
    options = parse_url(url)
    assert options["host"] == "clustercfg.frgm.memorydb.amazonaws.com"
    assert options["port"] == 6379
    assert (options["username"], options["password"]) == ("frgm-app", "s3cret/+=")
    assert url.startswith("rediss://")


def test_a_password_without_a_user_is_redis_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRGM_MESSAGING_REDIS_HOST", "master.frgm.cache.amazonaws.com")
    monkeypatch.setenv("FRGM_MESSAGING_REDIS_PASSWORD", "token")
    monkeypatch.delenv("FRGM_MESSAGING_REDIS_USER", raising=False)
    url = url_from_parts("FRGM_MESSAGING_REDIS", scheme="rediss", default_port=6379)
    assert url == "rediss://:token@master.frgm.cache.amazonaws.com:6379/"
