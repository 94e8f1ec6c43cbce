"""Make the quick-mode sample shipped inside digitlib from the real MNIST.

    DIGITLIB_DATA_DIR=../shared/data/mnist python scripts/make_quick_sample.py

The choice is seeded (``digitlib.data.make_quick_sample``), so running it again writes the same
arrays; ``tests/test_data.py`` checks that against the full set when it is available.
"""

import numpy as np

from digitlib.data import QUICK_SAMPLE, load_mnist, make_quick_sample


def main() -> None:
    (x_train, y_train), (x_test, y_test) = make_quick_sample(load_mnist(quick=False))
    QUICK_SAMPLE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        QUICK_SAMPLE, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test
    )
    print(
        f"wrote {QUICK_SAMPLE} ({QUICK_SAMPLE.stat().st_size / 1024:.0f} KiB): "
        f"{len(y_train)} train, {len(y_test)} test images"
    )


if __name__ == "__main__":
    main()
