#pragma once
// MPI for `mpirun -n P mimo evaluate|train ...` (Open MPI, or SLURM's srun). Optional at build time: without MPI (or
// when mimo is not started by an MPI launcher) there is one process and every call here is a no-op.
#include <string>

#include "evaluation/ber_engine.hpp"

namespace mimo::cluster {

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
  /// This process's rank among them; 0 without MPI.
  static int local_rank();
  /// Worker threads per process for `--threads 0` (all cores): the machine's cores shared among its processes.
  static int default_threads();
  /// True in every process when `ok` is true in every process (a barrier: every process waits for all).
  static bool all(bool ok);
  /// Process `root`'s `value`, in every process.
  static std::string broadcast(const std::string& value, int root = 0);
  /// The engine's view of the world: its rank, size and sums (MPI_Allreduce).
  static Collective collective();
  /// Ends every process of the run after an error in one of them (the others would wait for it forever).
  [[noreturn]] static void abort(int code);
  /// "mpi" when built with MPI, "none" otherwise.
  static std::string backend();
};

}  // namespace mimo::cluster
