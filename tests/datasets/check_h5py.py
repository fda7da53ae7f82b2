"""h5py reads a file written by `mimo generate` as plain numpy complex arrays, and y = Hx + n holds; and the
decisions and LLRs of `mimo detect` as arrays row-aligned with it. Given mpirun too: a set written by
`mpirun -n 3 mimo generate` reads, from another working directory, as the same arrays as one process's file. A coded
data set's blocks and their decoded bits read as SCHEMA.md says."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def main(mimo):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.h5")
        subprocess.run([mimo, "generate", "--nt", "4", "--nr", "6", "--mod", "qam16", "--channel", "rayleigh",
                        "--snr-db", "0:10:30", "--samples", "4000", "--seed", "5", "--csi-error-var", "0.1",
                        "--out", path], check=True, stdout=subprocess.DEVNULL)
        with h5py.File(path, "r") as f:
            H, y, x, He = f["H"][:], f["y"][:], f["x"][:], f["H_est"][:]
            bits, snr, n0 = f["bits"][:], f["snr_db"][:], f["noise_var"][:]
            assert H.dtype == np.complex64 and y.dtype == np.complex64 and x.dtype == np.complex64, H.dtype
            assert H.shape == (4000, 6, 4) and y.shape == (4000, 6) and x.shape == (4000, 4), H.shape
            assert bits.dtype == np.uint8 and bits.shape == (4000, 16)
            assert f.attrs["modulation"] == "qam16" and int(f.attrs["nt"]) == 4, dict(f.attrs)
            # y - Hx is the noise: its per-sample power over 6 antennas follows the recorded noise variance.
            noise = y - np.einsum("nrt,nt->nr", H, x)
            for value in np.unique(snr):
                sel = snr == value
                measured = np.mean(np.abs(noise[sel]) ** 2)
                recorded = float(np.mean(n0[sel]))
                assert abs(measured / recorded - 1) < 0.1, (value, measured, recorded)
                assert abs(recorded - 4 / 10 ** (value / 10)) < 1e-5 * recorded
            # 16-QAM of 38.211: b0 b2 pick the real part, first bit 0 means positive.
            assert np.all((x.real > 0) == (bits[:, 0::4] == 0))
            assert np.all((x.imag > 0) == (bits[:, 1::4] == 0))
            err = np.mean(np.abs(He - H) ** 2)
            assert abs(err / 0.1 - 1) < 0.05, err
        # `mimo detect` output: row-aligned decisions and LLRs next to the data set's bits.
        det = os.path.join(tmp, "det.h5")
        subprocess.run([mimo, "detect", "--data", path, "--detectors", "mmse,sphere", "--out", det], check=True,
                       stdout=subprocess.DEVNULL)
        with h5py.File(det, "r") as f:
            assert f["mmse/symbols"].shape == (4000, 4) and f["mmse/symbols"].dtype == np.int32
            llr = f["mmse/llr"][:]
            assert llr.shape == (4000, 4, 4) and llr.dtype == np.float32 and "llr" not in f["sphere"]
            hard = (llr.reshape(4000, 16) < 0).astype(np.uint8)
            assert abs(np.mean(hard != bits) - float(f["mmse"].attrs["ber"])) < 1e-9
            assert f.attrs["llr_convention"].startswith("ln P(b=0)/P(b=1)")
    print("h5py reads mimo data sets as complex arrays: ok")


def check_coded(mimo):
    """A coded data set and its detections, read as SCHEMA.md's "Coded data sets" reads them: the interleaver's
    gather puts each block's code bits in the order sent, and BLER and coded BER follow from decoded_bits and
    info_bits. 2 streams of QAM16 and E = 300: B = 38 uses of 8 slots, 4 slots per block carry no code bit."""
    with tempfile.TemporaryDirectory() as tmp:
        path, det = os.path.join(tmp, "c.h5"), os.path.join(tmp, "det.h5")
        subprocess.run([mimo, "generate", "--nt", "2", "--nr", "3", "--mod", "qam16", "--snr-db", "14", "--seed", "2",
                        "--samples", str(30 * 38), "--code", "ldpc:k=100,n=300", "--out", path], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([mimo, "detect", "--data", path, "--detectors", "mmse", "--out", det], check=True,
                       stdout=subprocess.DEVNULL)
        with h5py.File(path, "r") as f, h5py.File(det, "r") as d:
            B, K, E = (int(f.attrs[a]) for a in ("code_uses_per_block", "code_k", "code_e"))
            assert (B, K, E) == (38, 100, 300) and f.attrs["code"] == "ldpc:k=100,n=300,iters=20", dict(f.attrs)
            info = f["info_bits"][:]
            assert info.dtype == np.uint8 and info.shape == (30, K), info.shape
            e = np.arange(E)
            sent = f["bits"][:].reshape(-1, B, 8)[:, e % B, e // B]
            llr = d["mmse/llr"][:].reshape(-1, B, 8)[:, e % B, e // B]
            assert sent.shape == llr.shape == (30, E)
            decoded = d["mmse/decoded_bits"][:]
            assert decoded.dtype == np.uint8 and decoded.shape == (30, K)
            wrong = decoded != info
            g = d["mmse"].attrs
            assert int(g["blocks"]) == 30 and int(g["block_errors"]) == int(np.sum(np.any(wrong, axis=1))), dict(g)
            assert abs(float(g["bler"]) - np.mean(np.any(wrong, axis=1))) < 1e-12
            assert abs(float(g["coded_ber"]) - np.mean(wrong)) < 1e-12
            assert float(g["bler_lo"]) <= float(g["bler"]) <= float(g["bler_hi"])
            # At 14 dB most code bits are decided right: the gather pairs each LLR with its own bit.
            assert np.mean((llr < 0) != sent) < 0.1, np.mean((llr < 0) != sent)
            assert d.attrs["code"] == f.attrs["code"]
    print("h5py reads a coded data set and its decoded bits: ok")


def check_sharded(mimo, mpirun):
    flags = ["generate", "--nt", "2", "--nr", "3", "--mod", "qpsk", "--snr-db", "0:5:10", "--samples", "1000",
             "--seed", "3", "--threads", "1", "--csi-error-var", "0.1"]
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as elsewhere:
        one, joined = os.path.join(tmp, "one.h5"), os.path.join(tmp, "d.h5")
        subprocess.run([mimo] + flags + ["--out", one], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([mpirun, "--allow-run-as-root", "--oversubscribe", "-n", "3", mimo] + flags + ["--out", joined],
                       check=True, stdout=subprocess.DEVNULL)
        os.chdir(elsewhere)  # the shards are found beside d.h5, not beside the reader
        with h5py.File(one, "r") as a, h5py.File(joined, "r") as b:
            assert sorted(a) == sorted(b) == ["H", "H_est", "bits", "noise_var", "snr_db", "x", "y"], list(b)
            assert dict(a.attrs) == dict(b.attrs), (dict(a.attrs), dict(b.attrs))
            for name in a:
                assert b[name].is_virtual and b[name].dtype == a[name].dtype, name
                assert np.array_equal(a[name][:], b[name][:]), name
            assert b["H"].virtual_sources()[2].file_name == "d.h5.shards/part-2-of-3.h5"
    print("h5py reads a sharded data set as one: ok")


if __name__ == "__main__":
    main(sys.argv[1])
    check_coded(sys.argv[1])
    if len(sys.argv) > 2:
        check_sharded(sys.argv[1], sys.argv[2])
