#pragma once
// MPI for `mpirun -n P mimo evaluate|generate|detect|train` (Open MPI, or SLURM's srun). Optional at build time:
// without MPI (or when mimo is not started by an MPI launcher) there is one process and every call here is a no-op.
#include <cstdint>
#include <string>
#include <utility>

#include "evaluation/ber_engine.hpp"

namespace mimo::cluster {

/// What this process's sums over the processes (World::collective) cost: calls, payload bytes, and seconds in
/// them, waiting for the slowest process included.
struct Traffic {
  uint64_t calls = 0, bytes = 0;
  double seconds = 0;
};

/// The processes of this run. Initialized once, from main, before any command runs.
class World {
public:
  /// Joins MPI when the process was started by an MPI launcher (Open MPI, PMI/PMIx, SLURM) and mimo was built
  /// with MPI; otherwise a world of one.
  static void init(int& argc, char**& argv);
  static void finalize();
  static int rank();
  static int size();
  /// Processes of this run on this machine (MPI_COMM_TYPE_SHARED); 1 without MPI.
  static int local_size();
  /// This process's index among them (0 ... local_size - 1): which GPU of the machine it takes.
  static int local_rank();
  /// Worker threads per process for `--threads 0` (all cores): the machine's cores shared among its processes.
  static int default_threads();
  /// This process's contiguous share [n r / P, n (r + 1) / P) of n items, without overflow for any n.
  static std::pair<uint64_t, uint64_t> share(uint64_t n);
  /// True in every process when `ok` is true in every process (a barrier: every process waits for all).
  static bool all(bool ok);
  /// The lowest-numbered process whose `error` is not empty and its error, in every process; {-1, ""} when every
  /// `error` is empty. Like all(), an agreement and a barrier.
  static std::pair<int, std::string> first_failure(const std::string& error);
  /// Process `root`'s `value`, in every process.
  static std::string broadcast(const std::string& value, int root = 0);
  /// The engine's view of the world: its rank, size and sums (MPI_Allreduce).
  static Collective collective();
  /// The sums made through collective() so far.
  static Traffic traffic();
  /// Ends every process of the run after an error in one of them (the others would wait for it forever).
  [[noreturn]] static void abort(int code);
  /// "mpi" when built with MPI, "none" otherwise.
  static std::string backend();
};

}  // namespace mimo::cluster
