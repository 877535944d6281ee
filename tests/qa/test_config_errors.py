"""walab.yaml and WALAB_* mistakes are ConfigErrors naming the setting and the file, never a crash later on."""

from __future__ import annotations

import pytest

from lab.config import Contact, load_settings
from lab.errors import ConfigError


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        ('port: "abc"\n', "is not a TCP port"),
        ("port: 70000\n", "is not a TCP port"),
        ('contacts: "x"\n', "non-empty list"),
        ("contacts: [{name: A}]\n", "contact 1 needs a name and a wa_id"),
        ("contacts: [{name: A, wa_id: '+55 11'}]\n", "contact 1: not a valid phone number"),
        ("business: [1]\n", "`business` must be a mapping"),
        ("business: {colour: red}\n", "`business` must be a mapping"),
        ("flow: [a, b]\n", "must be a text value"),
        ("namespace:\n", "must be a text value"),
    ],
)
def test_bad_walab_yaml_names_the_setting_and_file(tmp_path, yaml_text, words):
    (tmp_path / "walab.yaml").write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={})
    assert words in caught.value.what
    assert caught.value.where == str(tmp_path / "walab.yaml") and caught.value.fix


def test_good_walab_yaml_is_typed(tmp_path):
    (tmp_path / "walab.yaml").write_text(
        "port: '9000'\ncontacts: [{name: Ana, wa_id: 5511900000000}]\nbusiness: {phone_number_id: 123}\nkestra_url:\n"
    )
    s = load_settings(tmp_path, env={})
    assert s.port == 9000 and s.contacts == [Contact("5511900000000", "Ana")]
    assert s.business.phone_number_id == "123" and s.kestra_url is None


@pytest.mark.parametrize("port", ["abc", "99999", "-1"])
def test_bad_walab_port_names_the_variable(tmp_path, port):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={"WALAB_PORT": port})
    assert caught.value.where == "environment variable WALAB_PORT"


def test_command_line_overrides_keep_their_types(tmp_path):
    s = load_settings(tmp_path, env={}, port=0, flow="whatsapp_agent", contacts=[Contact("1", "x")])
    assert s.port == 0 and s.flow == "whatsapp_agent" and s.contacts == [Contact("1", "x")]


@pytest.mark.parametrize(
    ("key", "var"),
    [
        ("kestra_url", "WALAB_KESTRA_URL"),
        ("public_url", "WALAB_PUBLIC_URL"),
        ("llm_upstream_url", "OPENAI_BASE_URL"),
    ],
)
def test_urls_without_a_scheme_are_refused(tmp_path, key, var):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={}, **{key: "localhost:8080"})
    assert (
        "is not an http(s) URL" in caught.value.what and "http://localhost:8080" in caught.value.fix
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={var: "127.0.0.1:9"})
    assert caught.value.where == f"environment variable {var}"
    assert (
        load_settings(tmp_path, env={}, **{key: "https://kestra.example"}).__dict__[key]
        == "https://kestra.example"
    )
