// The cost of the sums `mpirun -n P mimo evaluate` makes once per batch: MPI_Allreduce (sum, in place) of the
// payload sizes it sends, timed over many repetitions. Run under mpirun; process 0 prints one line per size:
//   mpirun -n 2 build/bench/allreduce_latency
// Not a Google Benchmark program: every process must run the same number of repetitions in lockstep.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  constexpr int kRepeats = 20000, kWarmUp = 1000;
  if (rank == 0) std::printf("processes %d, MPI_Allreduce sum in place, median of 5 runs of %d\n", size, kRepeats);
  // 8 bytes: the stop flag; 48 and 16 per chunk and detector: the integer and real counts.
  for (int bytes : {8, 64, 512, 4096}) {
    std::vector<uint64_t> v(static_cast<size_t>(bytes) / 8, 1);
    std::vector<double> runs;
    for (int run = 0; run < 5; ++run) {
      for (int k = 0; k < kWarmUp; ++k)
        MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = MPI_Wtime();
      for (int k = 0; k < kRepeats; ++k)
        MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      runs.push_back((MPI_Wtime() - t0) / kRepeats);
    }
    std::sort(runs.begin(), runs.end());
    if (rank == 0) std::printf("%5d bytes: %.2f us\n", bytes, runs[2] * 1e6);
  }
  MPI_Finalize();
  return 0;
}
