import logging
import stat

import pytest

from hookline.crypto import SecretBox


def test_without_a_key_one_is_generated_for_the_owner_only_and_announced(tmp_path, caplog):
    key_file = tmp_path / "state" / "secret.key"
    with caplog.at_level(logging.WARNING):
        box = SecretBox.from_key_or_file(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "HOOKLINE_SECRET_KEY is not set" in caplog.text
    assert str(key_file) in caplog.text
    again = SecretBox.from_key_or_file(None, key_file)  # the same key on the next start
    assert again.decrypt(box.encrypt("whsec_abc")) == "whsec_abc"


def test_ciphertext_hides_the_secret_and_needs_the_right_key(tmp_path):
    box = SecretBox("one key")
    sealed = box.encrypt("p@ssw0rd")
    assert b"p@ssw0rd" not in sealed
    assert box.decrypt(sealed) == "p@ssw0rd"
    with pytest.raises(ValueError, match="HOOKLINE_SECRET_KEY"):
        SecretBox("another key").decrypt(sealed)
    assert not (tmp_path / "secret.key").exists()
    assert SecretBox.from_key_or_file("one key", tmp_path / "secret.key").decrypt(sealed) == "p@ssw0rd"
    assert not (tmp_path / "secret.key").exists()  # an explicit key writes no file
