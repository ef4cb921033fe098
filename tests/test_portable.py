"""The arithmetic the committed workbooks are computed with gives the same bits on every CPU.

models.portable's exp and log against the C library's (a number from outside: glibc's libm),
its matmul against the plain loop in MMULT's order, models.lbfgs on a textbook problem, and the
collab solve and the digits training run again in other processes with other CPU kernels
(OpenBLAS's and NumPy's own dispatch switched to older CPUs): the very same bits.
"""
import hashlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from sheetsgd.models import lbfgs
from sheetsgd.models.portable import exp, fdot, log, matmul, matmul_stacked, seqsum, sin


def ulps(ours, ref):
    ours, ref = np.asarray(ours), np.asarray(ref)
    return np.abs(ours - ref) / np.spacing(np.abs(ref))


@pytest.mark.parametrize("lo,hi", [(-1, 1), (-40, 40), (-708, 709), (-1e-9, 1e-9)])
def test_exp_is_within_one_ulp_of_libm(lo, hi):
    x = np.random.default_rng(1).uniform(lo, hi, 20000)
    assert ulps(exp(x), [math.exp(v) for v in x]).max() <= 1


@pytest.mark.parametrize("lo,hi", [(1e-300, 1e-290), (0.5, 2), (1e-3, 1e3), (0.999, 1.001), (1e300, 1e308)])
def test_log_is_within_one_ulp_of_libm(lo, hi):
    x = np.random.default_rng(2).uniform(lo, hi, 20000)
    assert ulps(log(x), [math.log(v) for v in x]).max() <= 1


@pytest.mark.parametrize("lo,hi", [(-3.5, 3.5), (-1e5, 1e5), (-1e-6, 1e-6)])
def test_sin_is_within_one_ulp_of_libm(lo, hi):
    x = np.concatenate([np.random.default_rng(2).uniform(lo, hi, 100_000), np.linspace(lo, hi, 1001)])
    ours, libm = sin(x), np.array([math.sin(v) for v in x.tolist()])
    assert np.all(np.abs(ours - libm) <= np.spacing(np.abs(libm)))
    assert sin(0.0) == 0.0 and np.isnan(sin(np.inf)) and sin(1e-300) == 1e-300


def test_exp_and_log_edges():
    assert exp(0.0) == 1.0 and log(1.0) == 0.0
    assert list(exp(np.array([800.0, -800.0, np.inf, -np.inf]))) == [np.inf, 0.0, np.inf, 0.0]
    assert np.isnan(exp(np.nan)) and np.isnan(log(-1.0)) and np.isnan(log(np.nan))
    assert log(0.0) == -np.inf and log(np.inf) == np.inf
    assert abs(log(5e-324) - math.log(5e-324)) <= np.spacing(745.0)


def test_matmul_adds_in_order_of_k_as_the_loop_does():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n, k, m = (int(v) for v in rng.integers(1, 40, 3))
        a = rng.normal(size=(n, k)) * 10.0 ** rng.uniform(-6, 6, (n, k))
        b = rng.normal(size=(k, m))
        loop = np.zeros((n, m))
        for i in range(k):
            loop = loop + a[:, i, None] * b[None, i, :]
        assert np.array_equal(matmul(a, b), loop)
    assert fdot(np.array([1e16, 1.0, -1e16]), np.ones(3)) == 0.0        # ((1e16 + 1) - 1e16): in order
    assert seqsum(np.array([[1e16, 1.0, -1e16]]), axis=1)[0] == 0.0


def test_stacked_matmul_is_each_matmul_to_the_last_bit():
    rng = np.random.default_rng(4)
    for r, n, k, m in ((2, 16, 64, 50), (3, 5, 1, 7), (1, 4, 9, 2)):
        a, b = rng.normal(size=(r, n, k)), rng.normal(size=(r, k, m))
        assert np.array_equal(matmul_stacked(a, b), np.array([matmul(a[i], b[i]) for i in range(r)]))


def test_lbfgs_finds_rosenbrocks_minimum():
    def f(x):
        a, b = x[0], x[1]
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2, np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
    res = lbfgs.minimize(f, [-1.2, 1.0], gtol=1e-10)
    assert np.allclose(res.x, [1, 1], atol=1e-8) and res.fun < 1e-16 and res.nit < 100


SOLVE_AND_TRAIN = """
import hashlib, numpy as np
from sheetsgd.data import lecture_ratings
from sheetsgd.models import collab as cf, collab_reg as reg, neuralnet as nn
from sheetsgd.sheets.collab import generators
r = lecture_ratings()
h = hashlib.sha256()
for i, bias in ((0, False), (1, True)):
    h.update(cf.solve(r, generators(42)[i], 5, bias=bias).best.weights.flat().tobytes())
h.update(reg.fit_y_range(r, cf.random_start(np.random.default_rng(5), 15, 15, 5, True), 0.0, 5.5).weights.flat().tobytes())
d = nn.load_digits()
train, valid = nn.split(len(d.labels))
for kind in nn.MODELS:
    t = nn.train(kind, d, train, valid, hyper={"epochs": 2})
    for k in sorted(t.params):
        h.update(t.params[k].tobytes())
# issue 17's sheets: Adam's state and accuracies, the fine-tuned net, the sin fit
from sheetsgd.models import fine_tune as ft, net_adam as na, universal as un
adam = na.train_many(d, train, valid, nn.init("net"), na.LRS, epochs=2)
for run in adam:
    h.update(np.array(run.valid_accuracy).tobytes())
    for part in ("p", "m", "v"):
        for k in na.NAMES:
            h.update(run.shown_state[part][k].tobytes())
tuned = ft.run(d, train, valid, {"W": t.params["W1"], "b": t.params["b1"]}, hyper={"frozen_epochs": 2, "unfrozen_epochs": 2})
for layer in tuned.final:
    h.update(layer["W"].tobytes() + layer["b"].tobytes())
h.update(np.array(tuned.per_epoch["fine_tune"] + tuned.per_epoch["scratch"]).tobytes())
h.update(np.array([r["w"] for r in un.run(42)["rows"]]).tobytes())
print(h.hexdigest())
"""

# Kernels of older CPUs than any this runs on: OpenBLAS's (DYNAMIC_ARCH builds) and NumPy's own SIMD
# dispatch. SciPy's L-BFGS-B gave four different fitted weights for the first four of these.
OTHER_CPUS = [{}, {"OPENBLAS_CORETYPE": "Prescott"}, {"OPENBLAS_CORETYPE": "SandyBridge"},
              {"OPENBLAS_CORETYPE": "Nehalem", "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512_SKX AVX2 FMA3 AVX F16C"}]


@pytest.mark.slow
def test_solves_and_training_are_the_same_bits_with_other_cpu_kernels():
    digests = set()
    for env in OTHER_CPUS:
        run = subprocess.run([sys.executable, "-c", SOLVE_AND_TRAIN], env=dict(os.environ, **env),
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        digests.add(run.stdout.strip())
    assert len(digests) == 1, digests
