"""How many web processes and threads `crmdp serve` starts when not told
(crmdp/web/shape.py; docs/operations.md, The processes)."""

import pytest

from crmdp.web.shape import default_shape


@pytest.mark.parametrize(
    ("vendor", "cores", "shape"),
    [
        ("sqlite", 1, (4, 1)),
        ("sqlite", 2, (4, 1)),
        ("sqlite", 16, (8, 1)),  # past 8 they would only queue on the write lock
        ("postgresql", 1, (4, 1)),
        ("postgresql", 2, (4, 1)),
        ("postgresql", 16, (32, 1)),
    ],
)
def test_two_processes_per_core_of_one_thread_each(vendor, cores, shape):
    assert default_shape(vendor, cores) == shape
