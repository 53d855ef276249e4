"""The per-topic example scripts: each runs to the end (its own checks pass) and prints its results.

There is one script per topic of the guide the project grew from; each asserts every worked
example of its section, so a wrong result makes it exit non-zero.
"""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

# Script -> lines its output must contain (the worked examples of demo/examples.py, as printed).
EXPECTED = {
    "topic_01_linear_algebra.py": ["AB = [[19, 22], [43, 50]]", "BA = [[23, 34], [31, 46]]"],
    "topic_02_norms_distances.py": ["L2 = 5, L1 = 7, L-inf = 4", "Euclidean 5, Manhattan 7"],
    "topic_03_eigen.py": ["[[2.0, 1.0], [1.0, 2.0]]: [1.0, 3.0]", "lambda_max = 3.000000000000"],
    "topic_04_derivatives.py": ["f'(3) = 6", "df/dx = 10 (6x + 2y = 10), df/dy = 2 (2x = 2)"],
    "topic_05_chain_rule.py": [
        "y = sin(x^2) at x = 1.5: engine -1.884520868168",
        "backprop: z = 1.3500, a = 1.3500, L = 1.322500",
    ],
    "topic_06_gradients_jacobians_hessians.py": [
        "gradient of x^2 + y^2 at (1, -2): [2.0, -4.0]",
        "Hessian of x^2 + xy + y^2: [[2.0, 1.0], [1.0, 2.0]]",
    ],
    "topic_07_bayes.py": ["P(disease | positive) = 0.153846", "2/13"],
    "topic_08_expectation_variance.py": ["E[X] = 0 * 0.3 + 1 * 0.7 = 0.7", "= 5 - 4 = 1"],
    "topic_09_distributions.py": [
        "Bernoulli(0.7): P(0), P(1) = 0.30, 0.70; mean 0.7, variance 0.21"
    ],
}


def test_one_script_per_topic():
    assert sorted(p.name for p in EXAMPLES.glob("topic_*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_topic_script_runs_and_prints_its_checks(script):
    number = int(script.split("_")[1])
    command = [sys.executable, str(EXAMPLES / script)]
    # check=False: the assertion below shows the script's stderr when it fails.
    run = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for line in EXPECTED[script]:
        assert line in run.stdout, f"{line!r} missing from the output of {script}:\n{run.stdout}"
    assert run.stdout.rstrip().endswith(f"all topic {number} checks passed")
