import pytest

# The shared factories assert too: let pytest explain their failures as it does a test's.
pytest.register_assert_rewrite("tests.factories")
