"""The Python module against the command line: the same data, the same decisions, the same result rows.

Run by ctest (tests/python/CMakeLists.txt) with PYTHONPATH at the built package and MIMO_CLI at the `mimo`
executable; by hand:  PYTHONPATH=build/python MIMO_CLI=build/apps/mimo python3 -m pytest tests/python
"""
import csv
import os
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pytest

import mimo

CLI = os.environ.get("MIMO_CLI", "mimo")
SPECS = ["mf", "zf", "mmse", "sic", "ml", "sphere", "sphere:soft=1", "kbest:k=8", "ep"]


def run(*args):
    done = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="mimo_py_") as d:
        yield d


# A data set with every optional array: Kronecker correlation, imperfect CSI, a user power spread, block fading.
SET = dict(nt=3, nr=5, modulation="qam16", channel="kronecker", snr_db=[4, 12.5, 21], samples=700, seed=7,
           csi_error_var=0.01, user_power_spread_db=3, uses_per_realization=2, rho_tx=0.5, rho_rx=0.25)
SET_FLAGS = ["--nt", 3, "--nr", 5, "--mod", "qam16", "--channel", "kronecker", "--snr-db", "4,12.5,21",
             "--samples", 700, "--seed", 7, "--csi-error-var", 0.01, "--user-power-spread-db", 3,
             "--uses-per-realization", 2, "--rho-tx", 0.5, "--rho-rx", 0.25]


@pytest.fixture(scope="module")
def stored(folder):
    path = os.path.join(folder, "set.h5")
    run("generate", *SET_FLAGS, "--out", path)
    return path


def test_generate_equals_the_cli_file(stored):
    data = mimo.generate(**SET)
    with h5py.File(stored, "r") as f:
        names = {k for k in f.keys() if isinstance(f[k], h5py.Dataset)}
        assert set(data) == names
        for name in names:
            stored_array = f[name][()]
            assert data[name].dtype == stored_array.dtype, name
            np.testing.assert_array_equal(data[name], stored_array, err_msg=name)
    s = mimo.schema
    assert data[s.H].shape == (700, 5, 3) and data[s.bits].shape == (700, 12)
    assert set(np.unique(data[s.snr_db])) == {4.0, 12.5, 21.0}
    # Block fading: consecutive pairs share H.
    np.testing.assert_array_equal(data[s.H][0::2], data[s.H][1::2])


def test_read_and_info(stored):
    whole = mimo.read(stored)
    part = mimo.read(stored, first=100, count=50)
    for name, array in whole.items():
        np.testing.assert_array_equal(part[name], array[100:150], err_msg=name)
    i = mimo.info(stored)
    assert (i["channel"], i["nt"], i["nr"], i["modulation"], i["samples"], i["seed"]) == ("kronecker", 3, 5, "qam16", 700, 7)
    assert i["parameters"] == {"rho_tx": 0.5, "rho_rx": 0.25}
    assert i["uses_per_realization"] == 2 and i["has_h_est"] and i["csi_error_var"] == 0.01
    with pytest.raises(ValueError, match="past the end"):
        mimo.read(stored, first=650, count=51)


def test_each_detector_equals_the_cli(folder, stored):
    out = os.path.join(folder, "det.h5")
    run("detect", "--data", stored, "--detectors", ",".join(SPECS), "--out", out)
    data = mimo.read(stored)
    s = mimo.schema
    with h5py.File(out, "r") as f:
        for spec in SPECS:
            det = mimo.Detector(spec, "qam16")
            symbols, llr = det.detect(data[s.y], data[s.H], data[s.noise_var], H_est=data[s.H_est])
            group = f[spec.replace("/", "_")]
            np.testing.assert_array_equal(symbols, group["symbols"][()], err_msg=spec)
            if "llr" in group:
                np.testing.assert_array_equal(llr, group["llr"][()].reshape(llr.shape), err_msg=spec)
            else:
                assert llr is None, spec


def test_inputs_in_any_layout_give_the_same_decisions():
    d = mimo.generate(4, 4, "qpsk", snr_db=8, samples=300, seed=2)
    det = mimo.Detector("sic", "qpsk")
    ref, ref_llr = det.detect(d["y"], d["H"], d["noise_var"])
    # complex128, a transposed (non-contiguous) H, a scalar noise variance where all samples share one
    H_f = np.asfortranarray(d["H"].astype(np.complex128))
    got, got_llr = det.detect(d["y"].astype(np.complex128), H_f, d["noise_var"])
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got_llr, ref_llr)
    scalar, _ = det.detect(d["y"], d["H"], float(d["noise_var"][0]))
    np.testing.assert_array_equal(scalar, ref)
    one, one_llr = det.detect(d["y"][5], d["H"][5], d["noise_var"][5])
    np.testing.assert_array_equal(one, ref[5])
    np.testing.assert_array_equal(one_llr, ref_llr[5])


def lmmse_numpy(y, H, noise_var, modulation):
    """An independent LMMSE with per-stream unbiasing and slicing, in numpy (complex128)."""
    H = H.astype(np.complex128)
    G = np.conj(np.swapaxes(H, 1, 2)) @ H
    A = G + noise_var[:, None, None] * np.eye(H.shape[2])
    W = np.linalg.solve(A, np.conj(np.swapaxes(H, 1, 2)))
    z = (W @ y.astype(np.complex128)[..., None])[..., 0]
    bias = np.real(np.einsum("nij,nji->ni", W, H))
    est = z / bias
    points = mimo.constellation(modulation)
    return np.argmin(np.abs(est[..., None] - points[None, None, :]), axis=2)


def test_mmse_agrees_with_an_independent_numpy_lmmse():
    d = mimo.generate(8, 8, "qam16", snr_db=[10, 16, 22], samples=3000, seed=11)
    symbols, _ = mimo.Detector("mmse", "qam16").detect(d["y"], d["H"], d["noise_var"])
    reference = lmmse_numpy(d["y"], d["H"], d["noise_var"], "qam16")
    # float32 against float64: a decision on a boundary may differ, nothing more.
    assert np.mean(symbols != reference) < 1e-3
    assert np.mean(symbols == reference) > 0.999


def cli_rows(folder, name, flags):
    path = os.path.join(folder, name)
    run("evaluate", *flags, "--out", path)
    with open(path) as f:
        return list(csv.DictReader(f))


def assert_rows_match(rows, cli):
    assert len(rows) == len(cli)
    for r, c in zip(rows, cli):
        assert r["detector"].replace(",", ";") == c["detector"]
        for key, value in c.items():
            if key in ("detector", "seconds"):
                continue
            if isinstance(r[key], str):
                assert r[key] == value, key
            elif r[key] is None:
                assert value == "", key
            elif isinstance(r[key], int):
                assert r[key] == int(value), key
            else:  # the CSV keeps 6 or 9 significant digits
                assert r[key] == pytest.approx(float(value), rel=1e-5, abs=1e-9), key


def test_evaluate_rows_equal_the_cli_csv(folder):
    flags = ["--nt", 4, "--nr", 4, "--mod", "qpsk", "--channel", "rician", "--k-factor", 2, "--snr-db", "2:4:10",
             "--detectors", "zf,kbest:k=4,ep", "--min-errors", 200, "--max-bits", 4e5, "--seed", 5]
    rows = mimo.evaluate(4, 4, "qpsk", "zf,kbest:k=4,ep", snr_db="2:4:10", channel="rician", k_factor=2,
                         min_errors=200, max_bits=4e5, seed=5)
    assert_rows_match(rows, cli_rows(folder, "plain.csv", flags))
    assert [r["snr_db"] for r in rows[::3]] == [2.0, 6.0, 10.0]


def test_coded_evaluate_rows_equal_the_cli_csv(folder):
    flags = ["--nt", 2, "--nr", 2, "--mod", "qpsk", "--snr-db", "4,8", "--detectors", "mmse", "--code",
             "ldpc:k=64,rate=0.5", "--min-block-errors", 5, "--max-bits", 2e5, "--seed", 3]
    rows = mimo.evaluate(2, 2, "qpsk", ["mmse"], snr_db=[4, 8], code="ldpc:k=64,rate=0.5", min_block_errors=5,
                         max_bits=2e5, seed=3)
    assert_rows_match(rows, cli_rows(folder, "coded.csv", flags))
    assert rows[0]["blocks"] > 0 and 0 <= rows[0]["bler"] <= 1


def test_evaluate_on_a_stored_set(folder):
    path = os.path.join(folder, "grid.h5")
    run("generate", "--nt", 2, "--nr", 3, "--mod", "qpsk", "--snr-db", "3,9", "--samples", 4000, "--out", path)
    rows = mimo.evaluate(detectors=["mmse", "ml"], data=path)
    assert_rows_match(rows, cli_rows(folder, "data.csv", ["--data", path, "--detectors", "mmse,ml"]))
    assert sum(r["bits"] for r in rows if r["detector"] == "ml") == 4000 * 2 * 2


def test_a_python_detector_beside_the_built_in_ones():
    zf = mimo.Detector("zf", "qam16")
    mmse = mimo.Detector("mmse", "qam16")

    def zf_indices(y, H, noise_var):
        return zf.detect(y, H, noise_var, threads=1)[0]

    def zf_points(y, H, noise_var):  # complex values: sliced to the nearest point
        return mimo.constellation("qam16")[zf.detect(y, H, noise_var, threads=1)[0]]

    def mmse_soft(y, H, noise_var):
        return mmse.detect(y, H, noise_var, threads=1)

    soft = mimo.Detector(mmse_soft, "qam16", name="mmse-py", llr=True)
    rows = mimo.evaluate(4, 6, "qam16", ["zf", "mmse", zf_indices, zf_points, soft], snr_db=[8, 14],
                         min_errors=300, max_bits=3e5, seed=9, threads=2)
    by = {(r["detector"], r["snr_db"]): r for r in rows}
    for snr in (8.0, 14.0):
        for name in ("zf_indices", "zf_points"):
            assert by[(name, snr)]["bit_errors"] == by[("zf", snr)]["bit_errors"]
            assert by[(name, snr)]["symbol_errors"] == by[("zf", snr)]["symbol_errors"]
        assert by[("mmse-py", snr)]["bit_errors"] == by[("mmse", snr)]["bit_errors"]
        assert by[("mmse-py", snr)]["llr_info"] == pytest.approx(by[("mmse", snr)]["llr_info"], rel=1e-12)
        assert by[("zf_indices", snr)]["llr_info"] is None


def test_bad_input_is_a_one_line_error(stored):
    d = mimo.generate(2, 2, "qpsk", snr_db=10, samples=8)
    det = mimo.Detector("mmse", "qpsk")
    cases = [
        (lambda: det.detect(d["y"], d["H"][:4], d["noise_var"]), ValueError, "H has shape"),
        (lambda: det.detect(d["y"], d["H"], d["noise_var"][:3]), ValueError, "noise_var has shape"),
        (lambda: det.detect(d["y"] * np.nan, d["H"], d["noise_var"]), ValueError, "y has a non-finite value"),
        (lambda: det.detect(d["y"], d["H"], -1.0), ValueError, "noise_var must be positive"),
        (lambda: det.detect(d["y"], d["H"].real.astype("S4"), d["noise_var"]), ValueError, "H must be a numeric array"),
        (lambda: mimo.Detector("kbest:kk=3", "qpsk"), ValueError, "no option 'kk'"),
        (lambda: mimo.Detector("nope", "qpsk"), ValueError, "nope"),
        (lambda: mimo.Detector("mmse", "qam17"), ValueError, "qam17"),
        (lambda: mimo.generate(2, 2, "qpsk", snr_db=10, samples=8, rho_tx=0.5), ValueError, "rho"),
        (lambda: mimo.generate(2, 2, "qpsk", snr_db=10, samples=8, bogus=1), ValueError, "bogus"),
        (lambda: mimo.generate(0, 2, "qpsk", snr_db=10, samples=8), ValueError, "--nt"),
        (lambda: mimo.generate(2, 2, "qpsk", samples=8), ValueError, "--snr-db"),
        (lambda: mimo.generate(2, 2, "qpsk", snr_db=True, samples=8), ValueError, "snr_db must be a number"),
        (lambda: mimo.evaluate(2, 2, "qpsk", ["sphere"], snr_db=5, code="ldpc:k=64,rate=0.5"), ValueError, "LLRs"),
        (lambda: mimo.evaluate(2, 2, detectors=["zf"], data=stored), ValueError, "data set's"),
        (lambda: mimo.evaluate(2, 2, "qpsk", ["mmse"], snr_db=5, max_bits=0), ValueError, "max_bits"),
        (lambda: mimo.read(stored + ".missing"), OSError, "no such file"),
        (lambda: mimo.Detector("transformer:/nonexistent.pt", "qpsk"), (ValueError, RuntimeError),
         "nonexistent|plugin is not available"),
        (lambda: mimo.generate(2, 2, "qpsk", snr_db=1, samples=-1), ValueError, "samples must be an integer"),
        (lambda: mimo.generate(2, 2, "qpsk", snr_db=1, samples=2 ** 62), ValueError, "cannot be held in memory"),
        (lambda: mimo.generate(2, 2, "qpsk", "rician", snr_db=1, samples=4, k_factor_db=3), ValueError,
         "unknown channel option 'k_factor_db'"),
        (lambda: mimo.generate(2, 2, "qpsk", "file", snr_db=1, samples=4, h_file="/nonexistent.mat"), OSError,
         "nonexistent.mat"),
        (lambda: mimo.read(stored, first=-1), ValueError, "first must be an integer"),
        (lambda: mimo.evaluate(2, 2, "qpsk", ["mmse"], snr_db=5, min_errors=-1), ValueError, "min_errors"),
        (lambda: mimo.evaluate(2, 2, "qpsk", ["mmse"], snr_db=5, code=5), ValueError, "code must be a spec"),
        (lambda: mimo.evaluate(detectors=["mmse"], data=stored, csi_error_var=0.5), ValueError,
         "csi_error_var cannot be given"),
        (lambda: mimo.evaluate(detectors=["mmse"], data=stored, modulation="qpsk"), ValueError, "modulation"),
        (lambda: det.detect(d["y"], d["H"], d["noise_var"], threads=2 ** 40), ValueError, "threads must be"),
        (lambda: det.detect(None, d["H"], d["noise_var"]), ValueError, "y must be a numeric array"),
        (lambda: mimo.Detector(lambda y, H, n: y, "qpsk", name=5), ValueError, "name must be a string"),
    ]
    for number, (call, kind, words) in enumerate(cases):
        with pytest.raises(kind, match=words) as caught:
            call()
            pytest.fail(f"case {number} did not raise")
        assert "\n" not in str(caught.value), str(caught.value)
    assert issubclass(mimo.DatasetError, OSError)


def test_a_python_detector_sees_what_the_built_in_ones_see(stored):
    """On a data set with imperfect CSI every detector sees H_est; a Python one too."""
    zf = mimo.Detector("zf", "qam16")
    rows = mimo.evaluate(detectors=["zf", lambda y, H, n: zf.detect(y, H, n, threads=1)[0], "zf"], data=stored)
    by = {}
    for r in rows:
        by.setdefault(r["snr_db"], []).append(r["bit_errors"])
    for snr, errors in by.items():
        assert errors[0] == errors[1] == errors[2], snr  # a repeated spec repeats its row, as on the command line
    assert [r["detector"] for r in rows[:3]] == ["zf", "python", "zf"]
    scalar = mimo.generate(2, 2, "qpsk", snr_db=np.array(6.0), samples=4)  # numpy scalars as SNR values
    assert np.all(scalar[mimo.schema.snr_db] == 6)


def test_a_python_detectors_errors_reach_the_caller():
    def broken(y, H, noise_var):
        raise KeyError("inside the detector")

    def wrong_shape(y, H, noise_var):
        return np.zeros((len(y), 1), dtype=np.int32)

    def wrong_index(y, H, noise_var):
        return np.full((len(y), 2), 4)

    def forgot_llr(y, H, noise_var):
        return np.zeros((len(y), 2), dtype=np.int32)

    with pytest.raises(KeyError, match="inside the detector"):
        mimo.evaluate(2, 2, "qpsk", [broken], snr_db=5, max_bits=1e4, threads=2)
    with pytest.raises(ValueError, match="wrong_shape: symbols has shape"):
        mimo.Detector(wrong_shape, "qpsk").detect(np.ones((3, 2)), np.ones((3, 2, 2)), 1.0)
    with pytest.raises(ValueError, match=r"outside \[0, 4\)"):
        mimo.Detector(wrong_index, "qpsk").detect(np.ones((3, 2)), np.ones((3, 2, 2)), 1.0)
    with pytest.raises(ValueError, match="returned no LLRs"):
        mimo.Detector(forgot_llr, "qpsk", llr=True).detect(np.ones((3, 2)), np.ones((3, 2, 2)), 1.0)


def test_threads_change_nothing_and_calls_run_concurrently():
    d = mimo.generate(6, 6, "qam16", snr_db=14, samples=4000, seed=4)
    det = mimo.Detector("kbest:k=8", "qam16")
    one = det.detect(d["y"], d["H"], d["noise_var"], threads=1)
    for threads in (2, 0):
        many = det.detect(d["y"], d["H"], d["noise_var"], threads=threads)
        np.testing.assert_array_equal(many[0], one[0])
        np.testing.assert_array_equal(many[1], one[1])
    # Four Python threads calling at once (detect releases the GIL): each gets its own batch's answer.
    parts = [slice(i * 1000, (i + 1) * 1000) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: det.detect(d["y"][p], d["H"][p], d["noise_var"][p], threads=1), parts))
    for p, (symbols, llr) in zip(parts, results):
        np.testing.assert_array_equal(symbols, one[0][p])
        np.testing.assert_array_equal(llr, one[1][p])
    # A Python detector called from the engine's worker threads while another Python thread runs.
    ticks = []
    stop = threading.Event()
    worker = threading.Thread(target=lambda: [ticks.append(1) for _ in iter(lambda: stop.is_set(), True)])
    worker.start()
    try:
        rows = mimo.evaluate(2, 2, "qpsk", ["zf", lambda y, H, n: mimo.Detector("zf", "qpsk").detect(y, H, n, threads=1)[0]],
                             snr_db=6, max_bits=2e5, min_errors=10**9, threads=2)
    finally:
        stop.set()
        worker.join()
    assert rows[0]["bit_errors"] == rows[1]["bit_errors"] and rows[1]["detector"] == "python"
    assert ticks  # the other thread ran meanwhile


def test_the_transformer_when_its_plugin_is_built(folder, stored):
    if "transformer" not in mimo.detector_names():
        pytest.skip("no transformer detector registered")
    model = os.path.join(folder, "tiny.pt")
    train = ["train", "--nt", 3, "--nr", 5, "--mod", "qam16", "--snr-db", 12, "--steps", 3, "--batch", 16,
             "--layers", 1, "--dim", 16, "--heads", 2, "--out", model]
    done = subprocess.run([CLI, *map(str, train)], capture_output=True, text=True)
    if done.returncode != 0 and "plugin is not available" in done.stderr:
        pytest.skip("the transformer plugin is not built")
    assert done.returncode == 0, done.stderr
    out = os.path.join(folder, "det_tf.h5")
    run("detect", "--data", stored, "--detectors", f"transformer:{model}", "--out", out)
    data = mimo.read(stored)
    symbols, llr = mimo.Detector(f"transformer:{model}", "qam16").detect(
        data["y"], data["H"], data["noise_var"], H_est=data["H_est"])
    with h5py.File(out, "r") as f:
        group = f[list(f.keys())[0]]
        np.testing.assert_array_equal(symbols, group["symbols"][()])
        np.testing.assert_allclose(llr, group["llr"][()].reshape(llr.shape), rtol=0, atol=0)


def test_a_coded_set_reads_with_its_information_bits(folder):
    path = os.path.join(folder, "coded.h5")
    # qpsk 2x2, k = 256, rate 1/2: E = 512 code bits over B = 128 channel uses per block
    run("generate", "--nt", 2, "--nr", 2, "--snr-db", 4, "--code", "ldpc:k=256,rate=0.5", "--samples", 384,
        "--out", path)
    code = mimo.info(path)["code"]
    assert (code["k"], code["e"], code["uses_per_block"], code["blocks"]) == (256, 512, 128, 3)
    whole = mimo.read(path)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(whole[mimo.schema.info_bits], f[mimo.schema.info_bits][()])
    assert mimo.read(path, first=128, count=256)[mimo.schema.info_bits].shape == (2, 256)
    assert mimo.schema.info_bits not in mimo.read(path, first=1, count=128)  # not whole blocks
    assert mimo.info(os.path.join(folder, "set.h5"))["code"] is None


def test_ctrl_c_stops_detect_and_evaluate():
    """SIGINT (Ctrl-C, a notebook's interrupt) raises KeyboardInterrupt from a long detect or evaluate."""
    # The child installs Python's handler itself: started from a background job, SIGINT would be ignored.
    child = r'''
import signal, sys, mimo
signal.signal(signal.SIGINT, signal.default_int_handler)
d = mimo.generate(8, 8, "qam16", snr_db=4, samples=200000, seed=1)
print("ready", flush=True)
try:
    if sys.argv[1] == "detect":
        mimo.Detector("sphere", "qam16").detect(d["y"], d["H"], d["noise_var"], threads=1)
    else:
        mimo.evaluate(8, 8, "qam16", ["sphere"], snr_db=4, min_errors=10**12, max_bits=1e15, threads=1)
    print("finished")
except KeyboardInterrupt:
    print("interrupted")
'''
    import signal
    import sys
    import time
    for call in ("detect", "evaluate"):
        p = subprocess.Popen([sys.executable, "-c", child, call], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(1)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=120)
        assert out.strip() == "interrupted", (call, out)
