#include "cluster/mpi.hpp"

#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <thread>

#ifdef MIMO_WITH_MPI
#include <mpi.h>
#endif

namespace mimo::cluster {

namespace {

int g_rank = 0, g_size = 1, g_local_rank = 0, g_local_size = 1;
bool g_joined = false;

#ifdef MIMO_WITH_MPI
// Started by an MPI launcher: Open MPI's mpirun, a PMI/PMIx launcher (srun, hydra). A plain `mimo` never
// initializes MPI, so it needs no launcher and starts as fast as without MPI.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}
#endif

}  // namespace

void World::init([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
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
    c.sum_integers = [](uint64_t* v, size_t n) {
      MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    };
    c.sum_reals = [](double* v, size_t n) {
      MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    };
  }
#endif
  return c;
}

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
