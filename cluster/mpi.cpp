#include "cluster/mpi.hpp"

#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#ifdef MIMO_WITH_MPI
#include <mpi.h>
#endif

namespace mimo::cluster {

namespace {

int g_rank = 0, g_size = 1, g_local_size = 1, g_local_rank = 0;
[[maybe_unused]] bool g_joined = false;  // only read with MPI
Traffic g_traffic;

// Started by an MPI launcher: Open MPI's mpirun, a PMI/PMIx launcher (srun, hydra). A plain `mimo` never
// initializes MPI, so it needs no launcher and starts as fast as without MPI.
[[maybe_unused]] bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

// srun started several tasks of this step, but without PMI (srun's --mpi=none, the default of many sites) none
// of them can join the others: each would run the whole job alone and write the same files. (A torchrun-style
// launch, WORLD_SIZE in the environment, meets its peers through MASTER_ADDR instead.)
void refuse_srun_without_mpi() {
#ifndef MIMO_WITH_MPI
  // Without MPI, mpirun's (or hydra's) processes cannot join each other either: each would run the whole job.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* processes = std::getenv(v);
    if (!processes || std::atoi(processes) <= 1) continue;
    std::fprintf(stderr, "mimo: error: mpirun started %s processes, but this mimo was built without MPI "
                         "(-DMIMO_WITH_MPI=ON with libopenmpi-dev); run one process\n", processes);
    std::exit(1);
  }
#endif
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  if (!tasks || std::atoi(tasks) <= 1 || std::getenv("WORLD_SIZE")) return;
#ifdef MIMO_WITH_MPI
  if (launched_by_mpi()) return;
  std::fprintf(stderr, "mimo: error: srun started %s tasks without MPI's process manager (PMI); run `srun --mpi=pmix "
                       "mimo ...` (or --mpi=pmi2), or one task\n", tasks);
#else
  std::fprintf(stderr, "mimo: error: srun started %s tasks, but this mimo was built without MPI (-DMIMO_WITH_MPI=ON "
                       "with libopenmpi-dev); run one task\n", tasks);
#endif
  std::exit(1);
}

#ifdef MIMO_WITH_MPI

// One MPI_Allreduce (sum, in place), counted in g_traffic.
template <typename T>
void sum(T* values, size_t n, MPI_Datatype type) {
  const double t0 = MPI_Wtime();
  MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), type, MPI_SUM, MPI_COMM_WORLD);
  g_traffic.seconds += MPI_Wtime() - t0;
  g_traffic.calls += 1;
  g_traffic.bytes += n * sizeof(T);
}
#endif

}  // namespace

void World::init([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
  refuse_srun_without_mpi();
#ifdef MIMO_WITH_MPI
  if (!launched_by_mpi()) return;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &g_local_size);
  MPI_Comm_rank(node, &g_local_rank);
  MPI_Comm_free(&node);
  g_joined = true;
#endif
}

void World::finalize() {
#ifdef MIMO_WITH_MPI
  if (g_joined) MPI_Finalize();
  g_joined = false;
#endif
}

int World::rank() { return g_rank; }
int World::size() { return g_size; }
int World::local_size() { return g_local_size; }
int World::local_rank() { return g_local_rank; }

int World::default_threads() {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / g_local_size);
}

std::pair<uint64_t, uint64_t> World::share(uint64_t n) {
  // n = q P + m, so n r / P = q r + m r / P, whose products stay below n and P^2.
  const uint64_t p = static_cast<uint64_t>(g_size), q = n / p, m = n % p;
  const auto start = [&](uint64_t r) { return q * r + m * r / p; };
  return {start(static_cast<uint64_t>(g_rank)), start(static_cast<uint64_t>(g_rank) + 1)};
}

bool World::all(bool ok) {
#ifdef MIMO_WITH_MPI
  if (g_size > 1) {
    int v = ok ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return v != 0;
  }
#endif
  return ok;
}

std::pair<int, std::string> World::first_failure(const std::string& error) {
  int first = error.empty() ? g_size : g_rank;
#ifdef MIMO_WITH_MPI
  if (g_size > 1) MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
#endif
  if (first == g_size) return {-1, ""};
  return {first, broadcast(error, first)};
}

std::string World::broadcast(const std::string& value, [[maybe_unused]] int root) {
#ifdef MIMO_WITH_MPI
  if (g_size > 1) {
    unsigned long long n = value.size();
    MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
    std::string out = g_rank == root ? value : std::string(static_cast<size_t>(n), '\0');
    MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, root, MPI_COMM_WORLD);
    return out;
  }
#endif
  return value;
}

Collective World::collective() {
  Collective c;
  c.rank = g_rank;
  c.size = g_size;
#ifdef MIMO_WITH_MPI
  if (g_size > 1) {
    static_assert(sizeof(unsigned long long) == sizeof(uint64_t));
    c.sum_integers = [](uint64_t* v, size_t n) { sum(v, n, MPI_UNSIGNED_LONG_LONG); };
    c.sum_reals = [](double* v, size_t n) { sum(v, n, MPI_DOUBLE); };
  }
#endif
  return c;
}

Traffic World::traffic() { return g_traffic; }

void World::abort(int code) {
#ifdef MIMO_WITH_MPI
  if (g_joined && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

std::string World::backend() {
#ifdef MIMO_WITH_MPI
  return "mpi";
#else
  return "none";
#endif
}

}  // namespace mimo::cluster
